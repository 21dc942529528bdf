"""The HSDS exports checked by the standard's own tools: `frictionless validate` of the CSV package
against the official datapackage.json, and (hsds-json) jsonschema against the compiled schemas."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.records import Listing
from search_web.opendata.hsds_documents import HsdsDocuments
from search_web.opendata.hsds_model import build_dataset
from search_web.opendata.spec import DATAPACKAGE_FILE, HSDS_DIR, table_fields
from tests.hsds_validation import compiled_validator
from tests.skinmap import test_export
from tests.skinmap.test_export import LAKESIDE, run_export

data_dir = test_export.data_dir  # the same real store and index build as the other export tests

FRICTIONLESS = Path(sys.executable).with_name("frictionless")


def frictionless_validate(package: Path) -> dict:
    """`frictionless validate --json` on a package; the parsed report."""
    completed = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(package / "datapackage.json")],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return json.loads(completed.stdout)


def _errors(report: dict) -> list[str]:
    found = [error["message"] for error in report.get("errors", [])]
    for task in report.get("tasks", []):
        found += [f"{task.get('name')}: {error['message']}" for error in task.get("errors", [])]
    return found


def test_the_vendored_spec_files_are_unchanged():
    provenance = (HSDS_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    for line in provenance.splitlines():
        cells = [cell.strip(" `") for cell in line.split("|")]
        if len(cells) > 3 and len(cells[3]) == 64:
            digest = hashlib.sha256((HSDS_DIR / cells[1]).read_bytes()).hexdigest()
            assert digest == cells[3], cells[1]


@pytest.mark.slow
def test_the_csv_package_passes_frictionless_validate_against_the_official_datapackage(
    data_dir, tmp_path
):
    out = tmp_path / "hsds"
    assert run_export(data_dir, "--format", "hsds", "--output", str(out)) == 0
    assert (out / "datapackage.json").read_bytes() == DATAPACKAGE_FILE.read_bytes()
    report = frictionless_validate(out)
    assert _errors(report) == [] and report["valid"] is True
    # It really checked our rows (types, foreign keys), not only empty files.
    rows = {task["name"]: task["stats"].get("rows", 0) for task in report["tasks"]}
    assert rows["service"] == 2 and rows["location"] >= 2 and rows["organization_identifier"] >= 2
    assert rows["metadata"] >= rows["phone"] + rows["service"] * 2  # provenance of each field


def _add_url_column(out: Path) -> None:
    organizations = out / "organizations.csv"
    lines = organizations.read_text(encoding="utf-8").splitlines()
    organizations.write_text("\n".join([lines[0] + ",url", *(x + "," for x in lines[1:])]) + "\n")


def _dangling_organization(out: Path) -> None:
    services = out / "services.csv"
    header, first, *rest = services.read_text(encoding="utf-8").splitlines()
    service_id, _, remainder = first.split(",", 2)
    first = ",".join([service_id, "00000000-0000-4000-8000-000000000000", remainder])
    services.write_text("\n".join([header, first, *rest]) + "\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("damage", "expected"),
    [(_add_url_column, "url"), (_dangling_organization, "foreign key")],
)
def test_frictionless_rejects_a_column_or_a_reference_the_specification_does_not_allow(
    data_dir, tmp_path, damage, expected
):
    out = tmp_path / "hsds"
    assert run_export(data_dir, "--format", "hsds", "--output", str(out)) == 0
    damage(out)
    assert any(expected in error for error in _errors(frictionless_validate(out)))


def test_every_row_uses_only_official_columns():
    dataset = build_dataset([Listing(id="p-0000000001", name="A B", locations=[LAKESIDE])])
    for table, rows in dataset.tables.items():
        for row in rows:
            assert set(row) <= set(table_fields()[table]), table


def test_two_practitioners_at_one_office_give_one_location_with_one_address_and_phone():
    office = dict(LAKESIDE, lat=30.27, lon=-97.74)
    # The second lists the office without its practice name: it is still the same office.
    unnamed = dict(office, practice=None)
    dataset = build_dataset(
        [
            Listing(id="p-0000000001", name="Ana Ruiz", locations=[office]),
            Listing(id="p-0000000002", name="Nina Park", locations=[unnamed]),
        ]
    )
    [location] = dataset.rows("location")
    assert location["name"] == "Lakeside Dermatology"
    assert len(dataset.rows("address")) == 1 and len(dataset.rows("phone")) == 1
    [organization] = dataset.rows("organization")
    assert location["organization_id"] == organization["id"]


def offering(**changes) -> Listing:
    """Ana at Lakeside, with a quoted offer seen on 2026-11-20."""
    listing = Listing(
        id="p-0000000003",
        name="Ana Ruiz",
        credentials=["MD"],
        npi="1234567893",
        offers_microneedling=True,
        microneedling_evidence={
            "quote": "We offer microneedling.",
            "url": "https://lake.test/mn",
            "seen_at": "2026-11-20T10:00:00Z",
        },
        locations=[dict(LAKESIDE, lat=30.27, lon=-97.74)],
        last_seen="2026-11-20T10:00:00Z",
    )
    for key, value in changes.items():
        setattr(listing, key, value)
    return listing


def test_the_npi_is_an_organization_identifier_and_a_service_attribute():
    listing = offering()
    dataset = build_dataset([listing])
    [identifier] = dataset.rows("organization_identifier")
    assert identifier["identifier"] == "1234567893"
    assert identifier["organization_id"] == dataset.rows("organization")[0]["id"]
    [service] = dataset.rows("service")
    assert service["assured_date"] == "2026-11-20"
    assert "We offer microneedling." in service["description"]
    assert "https://lake.test/mn" in service["description"]
    [attribute] = dataset.rows("attribute")
    assert attribute["link_id"] == service["id"] and attribute["value"] == "1234567893"
    assert attribute["taxonomy_term_id"] == dataset.rows("taxonomy_term")[0]["id"]


# --- HSDS JSON ------------------------------------------------------------------------------------


def hsds_problems(document: object, schema_name: str) -> list[str]:
    """jsonschema's complaints about a document against a vendored compiled HSDS schema."""
    validator = compiled_validator(schema_name)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_hsds_json_export_is_valid_against_the_compiled_organization_schema(data_dir, tmp_path):
    out = tmp_path / "hsds.json"
    assert run_export(data_dir, "--format", "hsds-json", "--output", str(out)) == 0
    organizations = json.loads(out.read_text(encoding="utf-8"))
    assert organizations and isinstance(organizations, list)
    for organization in organizations:
        assert hsds_problems(organization, "organization") == [], organization["name"]
    services = [service for org in organizations for service in org["services"]]
    assert len(services) == 2
    assert all(service["service_at_locations"][0]["location"]["addresses"] for service in services)


def test_every_nested_document_is_valid_against_its_compiled_schema():
    listing = offering()
    documents = HsdsDocuments(build_dataset([listing]))
    [service_id] = documents.services
    [link_id] = documents.service_at_locations
    assert hsds_problems(documents.service(service_id), "service") == []
    assert hsds_problems(documents.service_list_item(service_id), "service_list") == []
    assert hsds_problems(documents.service_at_location(link_id), "service_at_location") == []
    item = documents.service_at_location_list_item(link_id)
    assert hsds_problems(item, "service_at_location_list") == []
    # The validator is not a rubber stamp: a service without its required status fails.
    broken = documents.service(service_id)
    del broken["status"]
    assert hsds_problems(broken, "service")


def test_provenance_becomes_metadata_rows_naming_the_observation_and_rule():
    listing = Listing(
        id="p-0000000005",
        name="Ana Ruiz",
        locations=[dict(LAKESIDE, lat=30.27, lon=-97.74)],
        sources=[
            {
                "kind": "practice_site",
                "url": "https://lake.test/",
                "first_seen": "2026-11-01T10:00:00Z",
                "last_seen": "2026-11-20T08:00:00Z",
            }
        ],
        provenance={"locations[0].phone": [0, "office"]},
    )
    dataset = build_dataset([listing])
    [phone] = dataset.rows("phone")
    [row] = dataset.rows("metadata")
    assert row["resource_id"] == phone["id"] and row["resource_type"] == "phone"
    assert row["field_name"] == "number" and row["replacement_value"] == phone["number"]
    assert row["last_action_date"] == "2026-11-20"
    assert row["updated_by"] == "practice website: https://lake.test/"
    assert row["last_action_type"].startswith("offices merged by address")
    location = HsdsDocuments(dataset).location(dataset.rows("location")[0]["id"])
    assert location["phones"][0]["metadata"] == [row]
