"""Per-document columns of one index generation: what ranking, filters, facets and the GeoGrid need,
as flat arrays written at build time and loaded in milliseconds, instead of every Listing in memory.

`columns.bin` = one JSON header line (counts, array layout, specialty slugs) + the raw array bytes.
Documents are in Whoosh docnum order, the same order as `listings.jsonl`; `offsets[d]` is where line
`d` starts in that file, so a result page reads only its own listings.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from index.records import SPECIALTY_SLUGS, Listing

COLUMNS_FILE = "columns.bin"
FORMAT = 1
OFFERS_CODES = {None: 0, True: 1, False: 2}
OFFERS_VALUES = {code: value for value, code in OFFERS_CODES.items()}
_WORD = re.compile(r"\w+")
_MAX_LENGTH = 65535


class ColumnsError(ValueError):
    """columns.bin is missing, truncated or of another format."""


def word_count(text: str) -> int:
    """A field's length for BM25: its words (the analyzer's tokens before stop words and stemming)."""
    return min(_MAX_LENGTH, sum(1 for _ in _WORD.finditer(text)))


def parse_time(text: str | None) -> float:
    """ISO-8601 -> Unix seconds (UTC when no zone is given); NaN when absent or malformed."""
    if not text:
        return math.nan
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return math.nan
    if when.tzinfo is None:
        # naive times in our data are UTC
        return (when - datetime(1970, 1, 1)).total_seconds()
    return when.timestamp()


@dataclass
class DocColumns:
    ids: list[str] = field(default_factory=list)
    sort_names: list[str] = field(default_factory=list)  # lower-cased names, the tie-break
    offsets: array = field(default_factory=lambda: array("Q", [0]))  # n + 1 line starts
    stale: bytearray = field(default_factory=bytearray)
    offers: bytearray = field(default_factory=bytearray)  # OFFERS_CODES
    practitioner_quote: bytearray = field(default_factory=bytearray)
    verified_at: array = field(default_factory=lambda: array("d"))  # Unix seconds or NaN
    specialties: array = field(default_factory=lambda: array("I"))  # bit i = slugs[i]
    name_len: array = field(default_factory=lambda: array("H"))
    text_len: array = field(default_factory=lambda: array("H"))
    loc_doc: array = field(default_factory=lambda: array("I"))  # one entry per located location
    loc_lat: array = field(default_factory=lambda: array("d"))
    loc_lon: array = field(default_factory=lambda: array("d"))
    slugs: list[str] = field(default_factory=lambda: list(SPECIALTY_SLUGS))

    def __len__(self) -> int:
        return len(self.ids)

    def specialty_mask(self, specialties: list[str]) -> int:
        mask = 0
        for slug in specialties:
            if slug not in self.slugs:
                self.slugs.append(slug)  # a slug newer than this code: keep it findable
            mask |= 1 << self.slugs.index(slug)
        return mask

    def append(self, listing: Listing, line_bytes: int, name_len: int, text_len: int) -> None:
        """Add one document (its listings.jsonl line is `line_bytes` long, newline included)."""
        docnum = len(self.ids)
        self.ids.append(listing.id)
        self.sort_names.append(listing.name.lower())
        self.offsets.append(self.offsets[-1] + line_bytes)
        self.stale.append(1 if listing.stale else 0)
        self.offers.append(OFFERS_CODES.get(listing.offers_microneedling, 0))
        evidence = listing.microneedling_evidence or {}
        self.practitioner_quote.append(1 if evidence.get("scope") == "practitioner" else 0)
        self.verified_at.append(parse_time(listing.last_verified))
        self.specialties.append(self.specialty_mask(listing.specialties))
        self.name_len.append(min(_MAX_LENGTH, name_len))
        self.text_len.append(min(_MAX_LENGTH, text_len))
        for location in listing.locations:
            lat, lon = location.get("lat"), location.get("lon")
            if lat is not None and lon is not None:
                self.loc_doc.append(docnum)
                self.loc_lat.append(float(lat))
                self.loc_lon.append(float(lon))

    # --- file format ------------------------------------------------------------------------------

    _ARRAYS = (
        "offsets",
        "verified_at",
        "specialties",
        "name_len",
        "text_len",
        "loc_doc",
        "loc_lat",
        "loc_lon",
    )
    _BYTES = ("stale", "offers", "practitioner_quote")

    def write(self, path: Path) -> None:
        ids = "\n".join(self.ids).encode("utf-8")
        names = "\n".join(name.replace("\n", " ") for name in self.sort_names).encode("utf-8")
        blobs: list[tuple[str, str, bytes]] = [("ids", "s", ids), ("sort_names", "s", names)]
        blobs += [
            (name, getattr(self, name).typecode, getattr(self, name).tobytes())
            for name in self._ARRAYS
        ]
        blobs += [(name, "b", bytes(getattr(self, name))) for name in self._BYTES]
        header = {
            "format": FORMAT,
            "count": len(self.ids),
            "slugs": self.slugs,
            "blobs": [[name, code, len(data)] for name, code, data in blobs],
        }
        with open(path, "wb") as handle:
            handle.write(json.dumps(header).encode("utf-8") + b"\n")
            for _, _, data in blobs:
                handle.write(data)

    @classmethod
    def read(cls, path: Path) -> DocColumns:
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise ColumnsError(f"{path} is missing") from None
        newline = raw.find(b"\n")
        try:
            header = json.loads(raw[:newline])
            if header.get("format") != FORMAT:
                raise ColumnsError(f"{path}: unknown format {header.get('format')!r}")
            columns = cls(slugs=list(header["slugs"]))
            position = newline + 1
            for name, code, size in header["blobs"]:
                data = raw[position : position + size]
                if len(data) != size:
                    raise ColumnsError(f"{path} is truncated")
                position += size
                if code == "s":
                    strings = data.decode("utf-8").split("\n") if header["count"] else []
                    setattr(columns, name, strings)
                elif code == "b":
                    setattr(columns, name, bytearray(data))
                else:
                    values = array(code)
                    values.frombytes(data)
                    setattr(columns, name, values)
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, ColumnsError):
                raise
            raise ColumnsError(f"{path}: {error}") from None
        if len(columns.ids) != header["count"] or len(columns.offsets) != header["count"] + 1:
            raise ColumnsError(f"{path}: column lengths disagree with the count")
        return columns


def columns_from_listings(listings_path: Path) -> DocColumns:
    """Columns for a generation written before `columns.bin` existed (slower: analyses every listing)."""
    from index.query import lay_terms  # here, not at the top: index.query imports index.schema
    from index.schema import document_for, lay_text

    phrases = lay_terms()
    columns = DocColumns()
    with open(listings_path, "rb") as handle:
        for line in handle:
            listing = Listing.from_json(line)
            document = document_for(listing)
            columns.append(
                listing,
                len(line),
                word_count(document["name"]),
                word_count(document["text"]) + word_count(lay_text(listing, phrases)),
            )
    return columns


MANIFEST_FILE = "generation.json"


@dataclass
class Manifest:
    """How a generation was written, for what the index files alone cannot say."""

    # True: lay terms were left out of each offering listing's indexed text (index.schema.lay_text)
    # and search adds them back; False (no manifest): a generation that indexed them.
    lay_terms_implied: bool = False
    # With lay terms implied: each lay word's document frequency in the text field as if indexed,
    # and how often it occurs in the lay text added to each offering listing.
    lay_document_frequency: dict[str, int] = field(default_factory=dict)
    lay_term_frequency: dict[str, int] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        body = {
            "format": FORMAT,
            "lay_terms_implied": self.lay_terms_implied,
            "lay_document_frequency": self.lay_document_frequency,
            "lay_term_frequency": self.lay_term_frequency,
        }
        path.write_text(json.dumps(body, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except ValueError as error:
            raise ColumnsError(f"{path}: {error}") from None
        return cls(
            lay_terms_implied=bool(body.get("lay_terms_implied")),
            lay_document_frequency={
                str(k): int(v) for k, v in (body.get("lay_document_frequency") or {}).items()
            },
            lay_term_frequency={
                str(k): int(v) for k, v in (body.get("lay_term_frequency") or {}).items()
            },
        )
