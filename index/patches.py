"""Admin edits published to the live generation without a rebuild: an append-only overlay.

`gen-<n>/patches.jsonl` holds one JSON object per line, `{"id", "listing", "at"}`, where `listing` is
the listing as the public should now see it, or null when it must no longer be shown (hidden, or no
longer a physician). SearchService reads new lines on its once-a-second check. Patches fix what a
listing shows and whether and where it is found; its words in the text index catch up at the next
full build, which starts from the store and leaves the patches behind with the old generation.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.records import Listing

PATCHES_FILE = "patches.jsonl"


@dataclass
class Patch:
    listing_id: str
    listing: Listing | None  # None: take the listing out of the public results
    at: str  # ISO-8601 UTC, when the patch was written

    def to_line(self) -> str:
        body = {
            "id": self.listing_id,
            "listing": json.loads(self.listing.to_json()) if self.listing is not None else None,
            "at": self.at,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_line(cls, line: str | bytes) -> Patch:
        body = json.loads(line)
        listing = body.get("listing")
        return cls(
            listing_id=body["id"],
            listing=Listing(**listing) if listing is not None else None,
            at=body.get("at") or "",
        )


def read_patches(path: Path, offset: int = 0) -> tuple[list[Patch], int]:
    """Complete lines from byte `offset` on, and the offset after the last complete line.

    A line still being written (no newline yet) is left for the next read.
    """
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n") + 1
    patches = [Patch.from_line(line) for line in data[:end].splitlines() if line.strip()]
    return patches, offset + end


def append_patches(generation_dir: Path, patches: list[Patch]) -> None:
    """Append patches in one write (O_APPEND) and fsync, so readers never see half a batch twice."""
    if not patches:
        return
    payload = "".join(patch.to_line() for patch in patches).encode("utf-8")
    fd = os.open(generation_dir / PATCHES_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
