"""HSDS: an Open Referral HSDS 3.0 tabular data package: a directory (or a .zip when the path ends
in .zip) holding the specification's own `datapackage.json` (data/hsds/, copied byte for byte) and
one CSV per resource it declares, with exactly its columns (tables the directory does not fill
are header-only). The rows come from `search_web.opendata.hsds_model` (the same model the
`/hsds/` API serves), so the CSV, the JSON export and the API agree. Cells get the flat CSV's
formula neutralisation.

Owns: hsds_tables (rows per resource), write_hsds_directory, write_hsds (a directory or a .zip,
moved into place only when complete).
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from index.records import Listing
from search_web.opendata.hsds_model import SERVICE_NAME, build_dataset
from search_web.opendata.spec import DATAPACKAGE_FILE, table_fields, table_paths
from skinmap.export.flat_csv import neutralise_cell
from skinmap.export.reader import ExportError

__all__ = ["SERVICE_NAME", "hsds_tables", "write_hsds", "write_hsds_directory"]


def hsds_tables(
    listings: Iterable[Listing], base_url: str = ""
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(resource name, rows) for every resource of the official datapackage, in its order."""
    dataset = build_dataset(listings, base_url)
    for name in table_fields():
        yield name, dataset.rows(name)


def write_hsds_directory(
    listings: Iterable[Listing], directory: Path, base_url: str = "", generation: str | None = None
) -> int:
    """Write the CSV files and the official datapackage.json into an existing empty directory;
    returns the number of listings read. (`generation` is not written: the descriptor is the
    specification's, unchanged.)"""
    counted = _Counter(listings)
    fields, paths = table_fields(), table_paths()
    with ExitStack() as stack:
        for name, rows in hsds_tables(counted, base_url):
            handle = stack.enter_context(
                open(directory / paths[name], "w", encoding="utf-8", newline="")
            )
            writer = csv.DictWriter(handle, fieldnames=fields[name])
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {column: neutralise_cell(row.get(column)) for column in fields[name]}
                )
    shutil.copyfile(DATAPACKAGE_FILE, directory / "datapackage.json")
    return counted.count


class _Counter:
    """Passes listings through, counting them (the HSDS rows do not map 1:1 to listings)."""

    def __init__(self, listings: Iterable[Listing]) -> None:
        self._listings = listings
        self.count = 0

    def __iter__(self) -> Iterator[Listing]:
        for listing in self._listings:
            self.count += 1
            yield listing


def write_hsds(
    listings: Iterable[Listing], target: Path, base_url: str = "", generation: str | None = None
) -> int:
    """Write an HSDS package to `target`: a .zip file when the name ends in .zip, else a directory.

    The package is built beside the target and moved into place only when complete, so a reader
    never sees half an export. An existing target is replaced only when it is a previous export
    (a zip file, or a directory holding datapackage.json) or an empty directory.
    """
    target = Path(target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    as_zip = target.suffix.lower() == ".zip"
    if target.exists():
        if as_zip and not target.is_file():
            raise ExportError(f"{target} exists and is not a file")
        if not as_zip and not (
            target.is_dir()
            and ((target / "datapackage.json").exists() or not any(target.iterdir()))
        ):
            raise ExportError(
                f"{target} exists and is not an empty directory or an earlier HSDS export; "
                "choose another --output"
            )
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        count = write_hsds_directory(listings, work, base_url, generation)
        if as_zip:
            temp_zip = parent / f".{target.name}.tmp-{os.getpid()}"
            with zipfile.ZipFile(temp_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(work.iterdir()):
                    archive.write(path, path.name)
            os.replace(temp_zip, target)
        else:
            old = None
            if target.exists():
                old = parent / f".{target.name}.old-{os.getpid()}"
                os.replace(target, old)
            os.replace(work, target)
            if old is not None:
                shutil.rmtree(old)
    finally:
        if work.exists():
            shutil.rmtree(work)
    return count
