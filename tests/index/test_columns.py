"""Per-document columns: written by the build, read back whole, derived from listings when absent."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from index.build import LISTINGS_FILE, write_generation
from index.columns import (
    COLUMNS_FILE,
    OFFERS_CODES,
    ColumnsError,
    DocColumns,
    columns_from_listings,
    parse_time,
    word_count,
)
from index.ranking import column_quality, quality
from index.records import Listing


def listing(number: int, **changes) -> Listing:
    base = {
        "id": f"p-{number:010x}",
        "name": f"Ada Stone {number}",
        "credentials": ["MD"],
        "specialties": ["dermatology"],
        "npi": None,
        "offers_microneedling": True,
        "microneedling_evidence": {
            "quote": "We offer microneedling.",
            "url": "https://stone-derm.test/services",
            "seen_at": "2026-11-01T00:00:00Z",
            "scope": "practitioner",
        },
        "locations": [
            {
                "practice": "Stone Dermatology",
                "street": "1 Main St",
                "city": "Austin",
                "state": "TX",
                "postal_code": "78701",
                "phone": "+15125550111",
                "lat": 30.27,
                "lon": -97.74,
            }
        ],
        "sources": [],
        "website": "https://stone-derm.test/",
        "first_seen": "2026-10-01T00:00:00Z",
        "last_seen": "2026-11-01T00:00:00Z",
        "last_verified": "2026-11-01T00:00:00Z",
    }
    base.update(changes)
    return Listing(**base)


LISTINGS = [
    listing(1),
    listing(2, offers_microneedling=None, microneedling_evidence=None, last_verified=None),
    listing(3, specialties=["plastic-surgery", "cosmetic-surgery"], stale=True, locations=[]),
    listing(4, offers_microneedling=False, microneedling_evidence=None, name="Émile Ño"),
]


def test_columns_survive_a_write_and_read(tmp_path):
    columns = DocColumns()
    for number, item in enumerate(LISTINGS):
        columns.append(item, line_bytes=100 + number, name_len=2, text_len=10 + number)
    columns.write(tmp_path / COLUMNS_FILE)
    read = DocColumns.read(tmp_path / COLUMNS_FILE)
    assert read.ids == [item.id for item in LISTINGS]
    assert read.sort_names[3] == "émile ño"
    assert list(read.offsets) == [0, 100, 201, 303, 406]
    assert list(read.stale) == [0, 0, 1, 0]
    assert list(read.offers) == [OFFERS_CODES[True], OFFERS_CODES[None], 1, OFFERS_CODES[False]]
    assert read.specialties[2] == (1 << read.slugs.index("plastic-surgery")) | (
        1 << read.slugs.index("cosmetic-surgery")
    )
    assert list(read.loc_doc) == [0, 1, 3]
    assert list(read.text_len) == [10, 11, 12, 13]
    assert math.isnan(read.verified_at[1])


def test_a_truncated_columns_file_is_refused(tmp_path):
    columns = DocColumns()
    columns.append(LISTINGS[0], 10, 1, 1)
    columns.write(tmp_path / COLUMNS_FILE)
    data = (tmp_path / COLUMNS_FILE).read_bytes()
    (tmp_path / COLUMNS_FILE).write_bytes(data[:-3])
    with pytest.raises(ColumnsError):
        DocColumns.read(tmp_path / COLUMNS_FILE)


def test_columns_derived_from_listings_equal_the_built_ones(tmp_path):
    write_generation(tmp_path / "gen-1", LISTINGS)
    built = DocColumns.read(tmp_path / "gen-1" / COLUMNS_FILE)
    derived = columns_from_listings(tmp_path / "gen-1" / LISTINGS_FILE)
    assert vars(derived).keys() == vars(built).keys()
    for name, value in vars(built).items():
        if name == "verified_at":
            assert [v if v == v else None for v in value] == [
                v if v == v else None for v in derived.verified_at
            ]
        else:
            assert getattr(derived, name) == value, name


def test_each_listings_line_is_its_listing_in_docnum_order(tmp_path):
    write_generation(tmp_path / "gen-1", LISTINGS)
    columns = DocColumns.read(tmp_path / "gen-1" / COLUMNS_FILE)
    data = (tmp_path / "gen-1" / LISTINGS_FILE).read_bytes()
    for docnum, listing_id in enumerate(columns.ids):
        line = data[columns.offsets[docnum] : columns.offsets[docnum + 1]]
        parsed = Listing.from_json(line)
        assert parsed.id == listing_id
        assert parsed == next(item for item in LISTINGS if item.id == listing_id)


def test_column_quality_matches_the_listing_quality():
    now = datetime(2026, 11, 25, tzinfo=UTC)
    columns = DocColumns()
    for item in LISTINGS:
        columns.append(item, 1, 1, 1)
    for docnum, item in enumerate(LISTINGS):
        assert column_quality(
            columns.offers[docnum],
            columns.practitioner_quote[docnum],
            columns.verified_at[docnum],
            now.timestamp(),
        ) == pytest.approx(quality(item, now))


def test_times_parse_to_unix_seconds_and_junk_to_nan():
    assert parse_time("1970-01-02T00:00:00Z") == 86400
    assert parse_time("1970-01-02T00:00:00") == 86400
    assert math.isnan(parse_time("yesterday"))
    assert math.isnan(parse_time(None))


def test_word_count_counts_the_tokens_a_field_is_cut_into():
    assert word_count("Ana Ruiz, MD (FAAD)") == 4
    assert word_count("") == 0
