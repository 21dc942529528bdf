"""Spider "cms": stream the CMS Doctors and Clinicians national file (a local path or an http URL)
and emit one practitioner per NPI in the target specialties.

The national file is gigabytes, so it is never held in memory: a URL is first streamed in chunks to a
temporary file under the data directory (urllib in a worker thread; Scrapy would buffer the whole
body), then the CSV is read line by line.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import scrapy

from crawler.extract.cms import CmsFormatError, iter_practitioners
from crawler.items import PractitionerItem, utc_now

CHUNK_BYTES = 1024 * 1024


def download_to(url: str, directory: Path, user_agent: str, timeout: float) -> Path:
    """Stream `url` into a new file in `directory` chunk by chunk; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    handle, name = tempfile.mkstemp(prefix="cms-", suffix=".csv", dir=directory)
    with urllib.request.urlopen(request, timeout=timeout) as response, open(handle, "wb") as out:
        shutil.copyfileobj(response, out, CHUNK_BYTES)
    return Path(name)


def practitioner_items(path: Path, source_url: str) -> Iterator[PractitionerItem]:
    """PractitionerItems from a local CSV, streamed (utf-8, undecodable bytes replaced)."""
    fetched_at = utc_now()
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as lines:
        for payload in iter_practitioners(lines):
            yield PractitionerItem.from_payload(
                payload,
                source="cms",
                source_key=payload["npi"],
                url=source_url,
                fetched_at=fetched_at,
            )


class CmsDacSpider(scrapy.Spider):
    name = "cms"

    def __init__(self, source: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not source:
            raise ValueError("the cms spider needs source=PATH_OR_URL")
        self.source = source

    async def start(self):
        settings = self.crawler.settings
        stats = self.crawler.stats
        path = Path(self.source)
        downloaded = self.source.startswith(("http://", "https://"))
        try:
            if downloaded:
                data_dir = Path(settings.get("SKINMAP_DATA_DIR") or tempfile.gettempdir())
                path = await asyncio.to_thread(
                    download_to,
                    self.source,
                    data_dir / "crawls" / "downloads",
                    settings.get("USER_AGENT"),
                    settings.getfloat("DOWNLOAD_TIMEOUT"),
                )
            count = 0
            for item in practitioner_items(path, self.source):
                count += 1
                yield item
            stats.set_value("cms/practitioners", count)
        except (CmsFormatError, OSError) as error:
            # Marks the crawl run failed (crawler.run reads skinmap/fatal) instead of "finished".
            stats.set_value("skinmap/fatal", f"{type(error).__name__}: {error}")
            self.logger.error(
                "cannot read the Doctors and Clinicians file %s: %s", self.source, error
            )
        finally:
            if downloaded and path != Path(self.source):
                path.unlink(missing_ok=True)
