"""The `skinmap export` command: parse the options, read the live listings, run one format's
writer to a file (replaced atomically) or to stdout, and translate ExportError into exit code 2.

Owns: FORMATS, add_export_parser, cmd_export (what skinmap.cli registers).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import Any

from index.build import current_generation
from search_web.opendata.jsonld import BadBaseUrl, checked_base
from skinmap.export.flat_csv import write_csv
from skinmap.export.hsds import write_hsds
from skinmap.export.hsds_json import write_hsds_json
from skinmap.export.jsonld import write_jsonld
from skinmap.export.ndjson import write_ndjson
from skinmap.export.reader import (
    ExportError,
    filter_modified,
    live_listings_path,
    parse_timestamp,
    read_listings,
)

FORMATS = ("ndjson", "csv", "jsonld", "hsds", "hsds-json")


def add_export_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `skinmap export` on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "export",
        help="export the live directory as open data (ndjson, csv, jsonld, hsds, hsds-json)",
        description="Export what the public sees (the live index generation, never hidden "
        "listings) as NDJSON API results, a flat CSV, schema.org JSON-LD, an Open Referral "
        "HSDS 3.0 tabular data package (hsds) or HSDS 3.0 JSON organization documents "
        "(hsds-json).",
    )
    parser.add_argument("--format", choices=FORMATS, default="ndjson", help="default ndjson")
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="file to write (default stdout); for hsds a directory, or a .zip file (required)",
    )
    parser.add_argument(
        "--modified-after",
        metavar="ISO",
        help="only listings seen or verified at or after this date/time (e.g. 2026-11-01)",
    )
    parser.add_argument(
        "--base-url",
        default="",
        metavar="URL",
        help="site root for absolute links and linked-data ids (e.g. https://skinmap.example); "
        "default $SKINMAP_BASE_URL; required for jsonld, else links are relative",
    )
    return parser


def cmd_export(args: argparse.Namespace, data_dir: Path) -> int:
    """`skinmap export`: 0 on success, 2 with a message on stderr for a user-fixable problem."""
    try:
        count, where = _export(args, Path(data_dir))
    except ExportError as error:
        print(f"skinmap: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `skinmap export | head`: the reader left; point stdout at /dev/null so the interpreter's
        # final flush does not raise again, and stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    print(f"exported {count} listings as {args.format} to {where}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace, data_dir: Path) -> tuple[int, str]:
    fmt = getattr(args, "format", None) or "ndjson"
    if fmt not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}")
    output = getattr(args, "output", None)
    base_url = getattr(args, "base_url", "") or os.environ.get("SKINMAP_BASE_URL", "") or ""
    if fmt == "jsonld":
        try:
            base_url = checked_base(base_url)
        except BadBaseUrl as error:
            raise ExportError(
                f"--format jsonld: {error} with --base-url or SKINMAP_BASE_URL"
            ) from None
    raw_cutoff = getattr(args, "modified_after", None)
    cutoff = parse_timestamp(raw_cutoff) if raw_cutoff is not None else None
    if fmt == "hsds" and not output:
        raise ExportError(
            "--format hsds writes several files: give --output DIR or --output FILE.zip"
        )
    path = live_listings_path(data_dir)
    generation = current_generation(data_dir)
    listings = filter_modified(read_listings(path), cutoff)
    if fmt == "hsds":
        return write_hsds(listings, Path(output), base_url, generation), str(output)
    writers = {
        "ndjson": lambda stream: write_ndjson(listings, stream),
        "csv": lambda stream: write_csv(listings, stream, base_url),
        "jsonld": lambda stream: write_jsonld(listings, stream, base_url),
        "hsds-json": lambda stream: write_hsds_json(listings, stream, base_url),
    }
    run = writers[fmt]
    if not output:
        return _to_stdout(run), "stdout"
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    try:
        with open(temp, "w", encoding="utf-8", newline="") as handle:
            count = run(handle)
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    return count, str(target)


def _to_stdout(run: Any) -> int:
    """Run a writer on a UTF-8 view of stdout whatever the locale, leaving stdout open."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # stdout replaced by a text-only stream (embedding, some test runners)
        return run(sys.stdout)
    stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    try:
        return run(stream)
    finally:
        stream.flush()
        stream.detach()  # closing the wrapper would close stdout itself
