"""NDJSON: one API `Result` (`Listing.to_result()`) per line, UTF-8."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from index.records import Listing


def write_ndjson(listings: Iterable[Listing], stream: TextIO) -> int:
    """One API Result per line; returns the number of listings written."""
    count = 0
    for listing in listings:
        stream.write(json.dumps(listing.to_result(), ensure_ascii=False) + "\n")
        count += 1
    return count
