"""The compact gazetteer: a precomputed file equal to the zipcodes package, read into arrays."""

from __future__ import annotations

import gzip
import io

import pytest

from index.gazetteer import (
    FORMAT_LINE,
    GAZETTEER_FILE,
    Gazetteer,
    GazetteerMissing,
    ZipRecord,
    city_centroids,
    render,
)

RECORDS = [
    ZipRecord("10001", 40.0, -74.0, "Springfield", "ZZ", standard=True),
    ZipRecord("10002", 42.0, -74.0, "Springfield", "ZZ", standard=True),
    ZipRecord("10003", 50.0, -80.0, "Springfield", "ZZ", standard=False),  # a post office
    ZipRecord("20001", 30.0, -90.0, "Saint Clair", "YY", standard=False),
]


def gazetteer_of(records: list[ZipRecord]) -> Gazetteer:
    lines = io.StringIO(render(records))
    assert lines.readline().rstrip("\n") == FORMAT_LINE
    return Gazetteer(lines)


def test_zips_round_trip_through_the_file_format():
    gazetteer = gazetteer_of(RECORDS)
    assert len(gazetteer) == 4
    assert gazetteer.zip("10002") == (42.0, -74.0, "Springfield", "ZZ")
    assert list(gazetteer.zip_records()) == RECORDS
    assert gazetteer.zip("10004") is None
    assert gazetteer.zip("1000") is None


def test_a_city_centroid_leaves_out_post_office_zips_unless_it_has_nothing_else():
    gazetteer = gazetteer_of(RECORDS)
    assert gazetteer.city("springfield", "zz") == (41.0, -74.0, "Springfield")
    # Only a non-standard ZIP: its own point is better than nothing. "St" and "Saint" are one.
    assert gazetteer.city("St. Clair", "YY") == (30.0, -90.0, "Saint Clair")
    assert gazetteer.city("Shelbyville", "ZZ") is None


def test_city_centroids_are_one_per_city_and_state():
    cities = city_centroids(RECORDS)
    assert [(c.key, c.state) for c in cities] == [("st clair", "YY"), ("springfield", "ZZ")]


def test_a_missing_file_says_how_to_make_it(tmp_path):
    with pytest.raises(GazetteerMissing, match="python -m index.gazetteer"):
        Gazetteer.load(tmp_path / "gazetteer.tsv.gz")


def test_the_shipped_file_is_what_the_zipcodes_package_gives():
    zipcodes = pytest.importorskip("zipcodes")
    from index.gazetteer import zips_from_package

    with gzip.open(GAZETTEER_FILE, "rt", encoding="utf-8") as handle:
        shipped = handle.read()
    assert shipped == render(zips_from_package())
    assert len(Gazetteer.load()) == sum(1 for e in zipcodes.list_all() if e.get("lat"))
