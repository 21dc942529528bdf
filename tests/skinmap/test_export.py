"""`skinmap export`: every format parses back, shows only public listings, and can be incremental."""

from __future__ import annotations

import argparse
import csv
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from index.build import current_generation, index_dir, rebuild, write_current, write_generation
from index.patches import Patch, append_patches
from index.records import Listing, Observation
from index.store import Store
from search_web.opendata.hsds_model import build_dataset
from search_web.opendata.jsonld import listing_nodes
from search_web.opendata.spec import table_paths
from skinmap.export.command import add_export_parser, cmd_export
from skinmap.export.flat_csv import CSV_COLUMNS, neutralise_cell, write_csv
from skinmap.export.hsds import SERVICE_NAME
from skinmap.export.jsonld import write_jsonld
from skinmap.export.reader import live_listings_path, modified_since, parse_timestamp, read_listings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EVIL_PRACTICE = '=HYPERLINK("http://evil.test","Skin")'
NPI_ANA, NPI_NINA, NPI_OMAR, NPI_BEN = "1234567893", "1245319599", "1679576722", "1500000009"


def _location(practice: str | None, street: str, phone: str, city="Austin", zip_="78701") -> dict:
    return {
        "practice": practice,
        "street": street,
        "city": city,
        "state": "TX",
        "postal_code": zip_,
        "phone": phone,
        "lat": None,
        "lon": None,
    }


def _practitioner(
    name: str,
    npi: str | None,
    fetched_at: str,
    locations: list[dict],
    source: str = "nppes",
    website: str | None = None,
    evidence: list[dict] | None = None,
    status: str = "active",
    practice_name: str | None = "Lakeside Dermatology",
) -> Observation:
    first, _, last = name.partition(" ")
    return Observation(
        source=source,
        kind="practitioner",
        source_key=npi if source == "nppes" else f"{website}#{name.lower()}",
        url=website or f"https://npiregistry.test/{npi}",
        fetched_at=fetched_at,
        payload={
            "name": name,
            "first_name": first,
            "middle_name": None,
            "last_name": last,
            "suffix": None,
            "credentials": ["MD", "FAAD"],
            "npi": npi,
            "specialties": ["dermatology"],
            "taxonomy_codes": ["207N00000X"],
            "is_physician": True,
            "role": "physician",
            "practice_name": practice_name,
            "website": website,
            "profile_url": None,
            "locations": locations,
            "evidence": evidence or [],
            "status": status,
        },
    )


def _evidence(quote: str, url: str, seen_at: str, negated: bool = False) -> dict:
    return {
        "procedure": "microneedling",
        "term": "SkinPen",
        "quote": quote,
        "url": url,
        "seen_at": seen_at,
        "negated": negated,
        "scope": "practitioner",
        "price": None,
    }


LAKESIDE = _location("Lakeside Dermatology", "100 Congress Ave", "+15125550101")
ANA_QUOTE = "Dr. Ruiz offers microneedling with SkinPen for acne scars."
EVIL_QUOTE = "-Dr. Cole performs microneedling (collagen induction therapy)."


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A real store and a real index build: four fictional physicians, one of them hidden."""
    data_dir = tmp_path / "data"
    store = Store(data_dir / "store.sqlite3")
    try:
        run = store.start_run("nppes", {})
        store.record_observation(
            run, _practitioner("Ana Ruiz", NPI_ANA, "2026-11-01T10:00:00Z", [LAKESIDE])
        )
        store.record_observation(
            run,
            _practitioner(
                "Ana Ruiz",
                None,
                "2026-11-01T10:00:00Z",
                [LAKESIDE],
                source="practice_site",
                website="https://lakeside-derm.test/",
                evidence=[
                    _evidence(
                        ANA_QUOTE,
                        "https://lakeside-derm.test/services/microneedling",
                        "2026-11-01T10:00:00Z",
                    )
                ],
            ),
        )
        # Same practice and address as Ana: HSDS must not repeat the organization or location.
        store.record_observation(
            run, _practitioner("Nina Park", NPI_NINA, "2026-09-15T08:00:00Z", [LAKESIDE])
        )
        # A deactivated NPI: the build hides this listing, so no export may show it.
        store.record_observation(
            run,
            _practitioner(
                "Omar Vance",
                NPI_OMAR,
                "2026-11-02T10:00:00Z",
                [_location("Vance Skin", "9 Elm St", "+15125550102")],
                status="deactivated",
                practice_name="Vance Skin",
            ),
        )
        # Hostile text from a crawled page: practice name and quote start with formula characters.
        store.record_observation(
            run,
            _practitioner(
                "Ben Cole",
                None,
                "2026-11-03T10:00:00Z",
                [_location(EVIL_PRACTICE, "55 Oak Blvd", "+15125550103")],
                source="practice_site",
                website="https://cole-skin.test/",
                evidence=[
                    _evidence(
                        EVIL_QUOTE, "https://cole-skin.test/microneedling", "2026-11-03T10:00:00Z"
                    )
                ],
                practice_name=EVIL_PRACTICE,
            ),
        )
        store.finish_run(run, "finished", {}, [])
    finally:
        store.close()
    rebuild(data_dir, now=NOW)
    return data_dir


def run_export(data_dir: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="skinmap")
    add_export_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", *argv])
    return cmd_export(args, data_dir)


def test_ndjson_gives_one_api_result_per_public_listing(data_dir, capsysbinary):
    assert run_export(data_dir, "--format", "ndjson") == 0
    lines = capsysbinary.readouterr().out.decode("utf-8").splitlines()
    results = [json.loads(line) for line in lines]
    assert sorted(r["name"] for r in results) == ["Ana Ruiz", "Ben Cole", "Nina Park"]
    ana = next(r for r in results if r["name"] == "Ana Ruiz")
    assert ana["offers_microneedling"] is True
    assert ana["microneedling_evidence"]["quote"] == ANA_QUOTE
    assert ana["url"] == f"/practitioners/{ana['id']}"
    assert ana["locations"][0]["lat"] is not None


def test_hidden_listings_never_leave_in_any_format(data_dir, tmp_path):
    for fmt, name in [("ndjson", "x.ndjson"), ("csv", "x.csv"), ("jsonld", "x.jsonld")]:
        out = tmp_path / name
        base = ["--base-url", "https://sm.test"]
        assert run_export(data_dir, "--format", fmt, "--output", str(out), *base) == 0
        text = out.read_text(encoding="utf-8")
        assert "Ana Ruiz" in text
        assert "Omar Vance" not in text and NPI_OMAR not in text, fmt
    assert run_export(data_dir, "--format", "hsds", "--output", str(tmp_path / "hsds")) == 0
    for path in (tmp_path / "hsds").iterdir():
        assert "Vance" not in path.read_text(encoding="utf-8"), path.name


def test_a_hidden_listing_in_the_listings_file_is_dropped_on_read(tmp_path):
    data_dir = tmp_path / "data"
    index_dir(data_dir).mkdir(parents=True)
    listings = [
        Listing(id="p-0000000001", name="Shown Person", last_seen="2026-11-01T00:00:00Z"),
        Listing(id="p-0000000002", name="Hidden Person", hidden=True),
    ]
    write_generation(index_dir(data_dir) / "gen-1", listings)
    write_current(data_dir, "gen-1")
    names = [listing.name for listing in read_listings(live_listings_path(data_dir))]
    assert names == ["Shown Person"]


def test_admin_edits_published_since_the_build_are_exported_as_the_public_sees_them(tmp_path):
    data_dir = tmp_path / "data"
    index_dir(data_dir).mkdir(parents=True)
    listings = [
        Listing(id="p-0000000001", name="Renamed Person"),
        Listing(id="p-0000000002", name="Later Hidden"),
    ]
    write_generation(index_dir(data_dir) / "gen-1", listings)
    write_current(data_dir, "gen-1")
    generation = index_dir(data_dir) / "gen-1"
    append_patches(
        generation,
        [
            Patch(
                "p-0000000001", Listing(id="p-0000000001", name="Old Name"), "2026-11-25T10:00:00Z"
            ),
            Patch(
                "p-0000000001", Listing(id="p-0000000001", name="New Name"), "2026-11-25T11:00:00Z"
            ),
            Patch("p-0000000002", None, "2026-11-25T11:00:00Z"),
            Patch(
                "p-0000000003", Listing(id="p-0000000003", name="Re-keyed"), "2026-11-25T11:00:00Z"
            ),
        ],
    )
    names = [listing.name for listing in read_listings(live_listings_path(data_dir))]
    assert names == ["New Name", "Re-keyed"]


def test_csv_has_one_row_per_practitioner_location_with_the_agreed_columns(data_dir, tmp_path):
    out = tmp_path / "directory.csv"
    assert run_export(data_dir, "--format", "csv", "--output", str(out)) == 0
    with open(out, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == CSV_COLUMNS
        rows = list(reader)
    assert len(rows) == 3
    ana = next(row for row in rows if row["name"] == "Ana Ruiz")
    assert ana["credentials"] == "MD;FAAD"
    assert ana["specialties"] == "dermatology"
    assert ana["npi"] == NPI_ANA
    assert ana["offers_microneedling"] == "true"
    assert ana["evidence_quote"] == ANA_QUOTE
    assert ana["evidence_url"] == "https://lakeside-derm.test/services/microneedling"
    assert ana["street"] == "100 Congress Ave" and ana["postal_code"] == "78701"
    assert ana["profile_url"] == f"/practitioners/{ana['id']}"
    # Numbers stay numbers: a US longitude is negative, an E.164 phone starts with +.
    assert float(ana["lon"]) < 0 and ana["phone"] == "+15125550101"
    nina = next(row for row in rows if row["name"] == "Nina Park")
    assert nina["offers_microneedling"] == "" and nina["evidence_quote"] == ""


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(data_dir, tmp_path):
    out = tmp_path / "directory.csv"
    assert run_export(data_dir, "--format", "csv", "--output", str(out)) == 0
    with open(out, encoding="utf-8", newline="") as handle:
        ben = next(row for row in csv.DictReader(handle) if row["name"] == "Ben Cole")
    assert ben["practice"] == "'" + EVIL_PRACTICE
    assert ben["evidence_quote"] == "'" + EVIL_QUOTE


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1-2", "'+1-2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("-97.7431", "-97.7431"),
        ("+15125550101", "+15125550101"),
        ("Lakeside", "Lakeside"),
        (None, ""),
        (True, "true"),
    ],
)
def test_neutralise_cell_quotes_formulas_but_not_plain_numbers(cell, expected):
    assert neutralise_cell(cell) == expected


def test_jsonld_is_a_schema_org_graph_of_practitioners_offices_and_practices(data_dir, tmp_path):
    out = tmp_path / "directory.jsonld"
    assert (
        run_export(
            data_dir, "--format", "jsonld", "--output", str(out), "--base-url", "https://sm.test/"
        )
        == 0
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["@context"] == "https://schema.org"
    graph = document["@graph"]
    people = [node for node in graph if node["@type"] == "IndividualPhysician"]
    assert sorted(node["name"] for node in people) == [
        "Ana Ruiz, MD, FAAD",
        "Ben Cole, MD, FAAD",
        "Nina Park, MD, FAAD",
    ]
    ana = next(node for node in people if node["name"].startswith("Ana Ruiz"))
    assert ana["usNPI"] == NPI_ANA
    assert ana["identifier"] == {"@type": "PropertyValue", "propertyID": "NPI", "value": NPI_ANA}
    assert ana["sameAs"] == f"https://npiregistry.cms.hhs.gov/provider-view/{NPI_ANA}"
    assert ana["medicalSpecialty"] == [{"@id": "https://schema.org/Dermatology"}]
    assert ana["url"].startswith("https://sm.test/practitioners/p-")
    service = ana["availableService"]
    assert service["@type"] == "MedicalProcedure" and service["name"] == "Microneedling"
    assert service["subjectOf"]["url"] == "https://lakeside-derm.test/services/microneedling"
    assert service["subjectOf"]["text"] == ANA_QUOTE
    # Ana and Nina work at Lakeside: one office node, with its own address and phone.
    nina = next(node for node in people if node["name"].startswith("Nina Park"))
    assert ana["practicesAt"] == nina["practicesAt"]
    [office] = [node for node in graph if node["@id"] == ana["practicesAt"][0]["@id"]]
    assert office["@type"] == "MedicalClinic" and office["telephone"] == "+15125550101"
    assert office["address"]["postalCode"] == "78701" and office["geo"]["latitude"]
    # No quote, no claim: Nina has no evidence, so the graph says nothing about microneedling.
    assert "availableService" not in nina


def test_jsonld_without_an_absolute_base_url_exits_2(data_dir, capsys, monkeypatch):
    monkeypatch.delenv("SKINMAP_BASE_URL", raising=False)
    assert run_export(data_dir, "--format", "jsonld") == 2
    assert "--base-url" in capsys.readouterr().err
    assert run_export(data_dir, "--format", "jsonld", "--base-url", "sm.test") == 2


def test_a_negated_offer_gives_no_service_in_jsonld_or_hsds():
    listing = Listing(
        id="p-00000000aa",
        name="Dana Wu",
        offers_microneedling=False,
        locations=[dict(LAKESIDE, lat=30.27, lon=-97.74)],
    )
    assert "availableService" not in listing_nodes(listing, "https://sm.test")[0]
    tables = _rows([listing])
    assert "service" not in tables and "organization" in tables


def read_package(root: Path) -> dict[str, list[dict]]:
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    tables = {}
    for resource in package["resources"]:
        with open(root / resource["path"], encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            declared = [field["name"] for field in resource["schema"]["fields"]]
            assert reader.fieldnames == declared, resource["name"]
            tables[resource["name"]] = list(reader)
    return tables


def check_hsds(tables: dict[str, list[dict]]) -> None:
    required = {
        "organization": {"id", "name", "description", "email", "website"},
        "service": {"id", "organization_id", "name", "description", "status", "url", "email"},
        "location": {"id", "organization_id", "name", "latitude", "longitude", "location_type"},
        "service_at_location": {"id", "service_id", "location_id"},
        "phone": {"id", "location_id", "number", "type"},
        "address": {
            "id",
            "location_id",
            "address_1",
            "city",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        },
    }
    ids = {}
    for name, columns in required.items():
        rows = tables[name]
        assert rows, f"{name} is empty"
        assert columns <= set(rows[0]), f"{name} lacks {columns - set(rows[0])}"
        ids[name] = [row["id"] for row in rows]
        assert len(ids[name]) == len(set(ids[name])), f"duplicate ids in {name}"
    for row in tables["service"]:
        assert row["organization_id"] in ids["organization"]
        assert row["status"] == "active"
    for row in tables["location"]:
        assert row["organization_id"] in ids["organization"]
    for row in tables["service_at_location"]:
        assert row["service_id"] in ids["service"] and row["location_id"] in ids["location"]
    for row in tables["address"]:
        assert row["location_id"] in ids["location"]
        assert row["address_type"] == "physical" and row["country"] == "US"
    for row in tables["phone"]:
        assert row["location_id"] in ids["location"]


def test_hsds_directory_has_the_tables_and_referential_integrity(data_dir, tmp_path):
    out = tmp_path / "hsds"
    assert run_export(data_dir, "--format", "hsds", "--output", str(out)) == 0
    tables = read_package(out)
    check_hsds(tables)
    # Ana and Nina share Lakeside's address: one organization and one location for both.
    lakeside = [o for o in tables["organization"] if o["name"] == "Lakeside Dermatology"]
    assert len(lakeside) == 1
    assert sum(1 for loc in tables["location"] if loc["name"] == "Lakeside Dermatology") == 1
    # Services only for the two practitioners with a positive quote; Nina has none.
    services = tables["service"]
    assert len(services) == 2
    assert {s["name"] for s in services} == {SERVICE_NAME}
    ana = next(s for s in services if "Ana Ruiz" in s["description"])
    assert ana["organization_id"] == lakeside[0]["id"]
    assert ANA_QUOTE in ana["description"]
    assert ana["url"] == "https://lakeside-derm.test/services/microneedling"
    assert all(s["id"] != ana["id"] for s in services if s is not ana)
    # The hostile practice name is neutralised in HSDS CSVs too.
    assert any(o["name"] == "'" + EVIL_PRACTICE for o in tables["organization"])


def test_hsds_ids_are_deterministic_uuids_across_exports(data_dir, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    assert run_export(data_dir, "--format", "hsds", "--output", str(first)) == 0
    assert run_export(data_dir, "--format", "hsds", "--output", str(second)) == 0
    for name in ("organizations.csv", "services.csv", "locations.csv", "addresses.csv"):
        assert (first / name).read_text() == (second / name).read_text(), name
    for row in read_package(first)["service"]:
        assert uuid.UUID(row["id"]).version == 5


def test_hsds_can_be_written_as_a_zip(data_dir, tmp_path):
    out = tmp_path / "hsds.zip"
    assert run_export(data_dir, "--format", "hsds", "--output", str(out)) == 0
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert names == set(table_paths().values()) | {"datapackage.json"}
        unpacked = tmp_path / "unpacked"
        archive.extractall(unpacked)
    check_hsds(read_package(unpacked))


def test_hsds_refuses_to_overwrite_a_directory_that_is_not_an_export(data_dir, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert run_export(data_dir, "--format", "hsds", "--output", str(out)) == 2
    assert "choose another --output" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


def test_hsds_replaces_an_earlier_export_in_place(data_dir, tmp_path):
    out = tmp_path / "hsds"
    assert run_export(data_dir, "--format", "hsds", "--output", str(out)) == 0
    assert (
        run_export(
            data_dir, "--format", "hsds", "--output", str(out), "--modified-after", "2026-11-03"
        )
        == 0
    )
    tables = read_package(out)
    assert [s["alternate_name"] for s in tables["service"]] == [
        "Microneedling with Ben Cole, MD, FAAD"
    ]


def test_hsds_needs_an_output_path(data_dir, capsys):
    assert run_export(data_dir, "--format", "hsds") == 2
    assert "--output" in capsys.readouterr().err


def test_modified_after_keeps_listings_seen_or_verified_since_then(data_dir, capsysbinary):
    assert run_export(data_dir, "--modified-after", "2026-10-01") == 0
    names = {
        json.loads(line)["name"]
        for line in capsysbinary.readouterr().out.decode("utf-8").splitlines()
    }
    assert names == {"Ana Ruiz", "Ben Cole"}  # Nina was last seen 2026-09-15

    assert run_export(data_dir, "--modified-after", "2026-11-03T10:00:00Z") == 0
    names = {
        json.loads(line)["name"]
        for line in capsysbinary.readouterr().out.decode("utf-8").splitlines()
    }
    assert names == {"Ben Cole"}  # the boundary is inclusive


def test_modified_after_counts_last_verified_too():
    listing = Listing(
        id="p-00000000bb",
        name="Eve Lin",
        last_seen="2026-01-01T00:00:00Z",
        last_verified="2026-11-20T09:00:00+00:00",
    )
    assert modified_since(listing, parse_timestamp("2026-11-20"))
    assert not modified_since(listing, parse_timestamp("2026-11-21"))


def test_modified_after_reads_dates_and_offsets_as_utc_instants():
    assert parse_timestamp("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_timestamp("2026-11-01T10:00:00") == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert parse_timestamp("2026-11-01T05:00:00-05:00") == datetime(2026, 11, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "11/01/2026", ""])
def test_a_malformed_modified_after_exits_2_with_a_message(data_dir, capsys, bad):
    assert run_export(data_dir, "--modified-after", bad) == 2
    assert "ISO-8601" in capsys.readouterr().err


def test_a_missing_index_exits_2_telling_to_run_skinmap_index(tmp_path, capsys):
    assert run_export(tmp_path / "empty", "--format", "csv") == 2
    assert "run `skinmap index` first" in capsys.readouterr().err


def test_export_reads_the_live_generation_only(data_dir, tmp_path):
    live = current_generation(data_dir)
    stale = Listing(id="p-00000000cc", name="Old Generation Person")
    write_generation(index_dir(data_dir) / "gen-99", [stale])
    assert current_generation(data_dir) == live
    names = {listing.name for listing in read_listings(live_listings_path(data_dir))}
    assert "Old Generation Person" not in names and "Ana Ruiz" in names
    write_current(data_dir, "gen-99")
    names = {listing.name for listing in read_listings(live_listings_path(data_dir))}
    assert names == {"Old Generation Person"}


def test_writers_stream_listings_from_any_iterable():
    def listings():
        for number in range(3):
            yield Listing(id=f"p-000000000{number}", name=f"Person {number}")

    out = io.StringIO()
    assert write_jsonld(listings(), out, "https://sm.test") == 3
    assert len(json.loads(out.getvalue())["@graph"]) == 3
    out = io.StringIO()
    assert write_jsonld([], out, "https://sm.test") == 0
    assert json.loads(out.getvalue())["@graph"] == []
    out = io.StringIO(newline="")
    assert write_csv(listings(), out) == 3
    assert len(list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))) == 3


def _rows(listings: list[Listing]) -> dict[str, list[dict]]:
    return {table: rows for table, rows in build_dataset(listings).tables.items() if rows}


def test_an_organization_takes_its_website_from_any_practitioner_of_the_practice():
    place = dict(LAKESIDE, lat=30.27, lon=-97.74)
    tables = _rows(
        [
            Listing(id="p-0000000001", name="No Site", locations=[place]),
            Listing(
                id="p-0000000002", name="Has Site", locations=[place], website="https://lake.test/"
            ),
        ]
    )
    assert [o["website"] for o in tables["organization"]] == ["https://lake.test/"]
    assert len(tables["location"]) == 1 and len(tables["phone"]) == 1


def test_the_service_sits_at_the_practice_the_evidence_names():
    lakeside = dict(LAKESIDE, lat=30.27, lon=-97.74)
    hill = dict(_location("Hill Country Skin", "7 Ridge Rd", "+15125550104"), lat=30.3, lon=-97.8)
    listing = Listing(
        id="p-0000000003",
        name="Ana Ruiz",
        credentials=["MD"],
        offers_microneedling=True,
        microneedling_evidence={
            "quote": ANA_QUOTE,
            "url": "https://hill.test/mn",
            "practice": "Hill Country Skin",
        },
        locations=[lakeside, hill],
    )
    tables = _rows([listing])
    orgs = {o["id"]: o["name"] for o in tables["organization"]}
    assert sorted(orgs.values()) == ["Hill Country Skin", "Lakeside Dermatology"]
    [service] = tables["service"]
    assert orgs[service["organization_id"]] == "Hill Country Skin"
    [link] = tables["service_at_location"]
    hill_location = next(loc for loc in tables["location"] if loc["name"] == "Hill Country Skin")
    assert link["location_id"] == hill_location["id"]


def test_a_listing_without_locations_still_gets_an_organization_for_its_service():
    listing = Listing(
        id="p-0000000004",
        name="Lone Doctor",
        offers_microneedling=True,
        microneedling_evidence={"quote": "We offer microneedling.", "url": "https://lone.test/"},
    )
    tables = _rows([listing])
    [service] = tables["service"]
    assert service["organization_id"] == tables["organization"][0]["id"]
    assert "service_at_location" not in tables and "location" not in tables
