import json

import pytest

from crawler.extract.nppes import NppesApiError, NppesFormatError, parse_npi_response
from index.records import SPECIALTY_SLUGS, Observation

LOCATION_KEYS = {"practice", "street", "city", "state", "postal_code", "phone", "lat", "lon"}


def _read(realdata, name):
    return (realdata / "npi_api" / name).read_bytes()


def test_every_sample_file_parses_or_raises_the_api_error(realdata):
    files = sorted((realdata / "npi_api").glob("*.json"))
    assert len(files) >= 15
    for path in files:
        body = path.read_bytes()
        if b'"Errors"' in body:
            with pytest.raises(NppesApiError):
                parse_npi_response(body)
            continue
        records = parse_npi_response(body)
        assert len(records) == json.loads(body)["result_count"], path.name
        for record in records:
            payload = record.payload
            Observation(
                "nppes", record.kind, record.npi, None, "2026-11-25T00:00:00Z", payload
            ).validate()
            assert payload["npi"] == record.npi and len(record.npi) == 10
            assert all(set(loc) == LOCATION_KEYS for loc in payload["locations"]), path.name
            assert all(
                loc["postal_code"] is None or len(loc["postal_code"]) == 5
                for loc in payload["locations"]
            )
            assert all(
                loc["phone"] is None or loc["phone"].startswith("+1")
                for loc in payload["locations"]
            )
            assert all(slug in SPECIALTY_SLUGS for slug in payload["specialties"])
            assert payload["status"] in ("active", "deactivated")
            json.dumps(payload)


def test_error_body_carries_every_message_and_code(realdata):
    with pytest.raises(NppesApiError) as caught:
        parse_npi_response(
            _read(realdata, "npi_v21_2019_error_09_enumeration_type_needs_more.json")
        )
    assert caught.value.messages == ["enumeration_type requires additional search criteria"]
    assert caught.value.codes == ["09"]
    with pytest.raises(NppesApiError, match="No valid search criteria"):
        parse_npi_response(
            _read(realdata, "npi_v21_2026_raw_compact_error_04_no_valid_criteria.json")
        )


def test_a_body_that_is_not_an_api_response_is_a_format_error():
    with pytest.raises(NppesFormatError):
        parse_npi_response(b"<html>gateway timeout</html>")
    with pytest.raises(NppesFormatError):
        parse_npi_response(b'{"something": 1}')


def test_empty_result_is_an_empty_list(realdata):
    assert parse_npi_response(_read(realdata, "npi_v21_2019_empty_result.json")) == []


def test_dermatologist_is_a_target_physician_with_a_location_address(realdata):
    [record] = parse_npi_response(
        _read(realdata, "npi_v21_2026_DERIVED_dermatologist_1295729051.json")
    )
    payload = record.payload
    assert record.kind == "practitioner" and record.is_target
    assert payload["specialties"] == ["dermatology"]
    assert payload["taxonomy_codes"] == ["207N00000X"]  # listed twice (two licences), kept once
    assert payload["is_physician"] and payload["role"] == "physician"
    assert payload["credentials"] == ["MD"]
    assert (
        payload["locations"][0]["city"] == "Savannah" and payload["locations"][0]["state"] == "GA"
    )


def test_2026_compact_format_uses_location_not_mailing_and_drops_placeholders(realdata):
    [record] = parse_npi_response(
        _read(realdata, "npi_v21_2026_raw_compact_name_search_1_result.json")
    )
    payload = record.payload
    assert record.npi == "1114382983" and not record.is_target
    assert [loc["city"] for loc in payload["locations"]] == [
        "Hillsboro"
    ]  # MAILING is Bolingbrook, IL
    assert payload["locations"][0]["postal_code"] == "97124"
    assert payload["locations"][0]["phone"] == "+15033953000"
    assert payload["suffix"] is None  # "--"
    assert payload["sex"] == "M"  # basic.sex in 2026
    assert payload["enumeration_date"] == "2015-12-22"


def test_npi2_is_a_practice_never_a_practitioner(realdata):
    [record] = parse_npi_response(_read(realdata, "npi_v21_2026_raw_compact_org_search_npi2.json"))
    assert record.kind == "practice"
    assert record.payload["name"] == "H2 Rehabilitation Services Of Virginia, LLC"
    assert "H2 Health" in record.payload["other_names"]
    # The MAILING PO box in Atlanta, GA is not a location.
    assert [loc["state"] for loc in record.payload["locations"]] == ["VA"]


def test_2019_format_int_numbers_second_epochs_and_gender(realdata):
    records = parse_npi_response(
        _read(realdata, "npi_v21_2019_individuals_with_practice_locations_5.json")
    )
    first = records[0].payload
    assert records[0].npi == "1396949913"
    assert first["sex"] == "M"
    # practiceLocations (no purpose field in 2019) are locations too.
    assert len(first["locations"]) >= 2
    assert first["locations"][0]["street"] == "10 E 102nd St"


def test_2019_orgs_whose_city_is_only_a_practice_location_keep_it(realdata):
    records = parse_npi_response(_read(realdata, "npi_v21_2019_orgs_city_search_10.json"))
    assert all(r.kind == "practice" for r in records)
    cities = [{loc["city"] for loc in r.payload["locations"]} for r in records]
    assert sum("Atlanta" in c for c in cities) >= 1


def test_wrong_states_are_corrected_from_the_zip(realdata):
    records = parse_npi_response(_read(realdata, "npi_v21_2019_individuals_city_atlanta_10.json"))
    locations = [
        loc
        for r in records
        for loc in r.payload["locations"]
        if loc["postal_code"].startswith("303")
    ]
    assert locations and all(
        loc["state"] == "GA" for loc in locations
    )  # "GEORGIA", "AL", "CA", "FL"


def test_2022_format_ms_epochs_and_string_number(realdata):
    [record] = parse_npi_response(_read(realdata, "npi_v21_2022_number_lookup_ind_1760485387.json"))
    assert record.npi == "1760485387"
    assert record.payload["last_updated"] and record.payload["enumeration_date"]


def test_200_row_page_has_exactly_one_target_dermatologist(realdata):
    records = parse_npi_response(_read(realdata, "npi_v21_2026_individuals_200.json"))
    assert len(records) == 200
    assert [r.npi for r in records if r.is_target] == ["1295729051"]
    roles = {r.payload["role"] for r in records}
    assert {"physician_assistant", "nurse_practitioner"} <= roles


def test_null_taxonomy_descriptions_do_not_matter(realdata):
    body = json.loads(_read(realdata, "npi_v21_2026_DERIVED_dermatologist_1295729051.json"))
    for taxonomy in body["results"][0]["taxonomies"]:
        taxonomy["desc"] = None
    [record] = parse_npi_response(body)
    assert record.payload["specialties"] == ["dermatology"]


def test_deactivated_records_are_marked(realdata):
    body = json.loads(_read(realdata, "npi_v21_2026_DERIVED_dermatologist_1295729051.json"))
    body["results"][0]["basic"]["status"] = "D"
    [record] = parse_npi_response(body)
    assert record.payload["status"] == "deactivated"


def test_records_with_invalid_npis_are_skipped(realdata):
    body = json.loads(_read(realdata, "npi_v21_2026_DERIVED_dermatologist_1295729051.json"))
    body["results"][0]["number"] = "1295729052"
    assert parse_npi_response(body) == []


def test_display_names_leave_the_middle_initial_in_middle_name(realdata):
    records = parse_npi_response(
        _read(realdata, "npi_v21_2019_individuals_with_practice_locations_5.json")
    )
    payload = records[0].payload
    assert (payload["name"], payload["middle_name"]) == ("Amir Steinberg", "S")


def test_a_registry_former_name_is_kept_for_matching(realdata):
    records = parse_npi_response(_read(realdata, "npi_v21_2019_individuals_city_atlanta_10.json"))
    with_former = [r.payload for r in records if r.payload.get("former_names")]
    assert with_former, "the sample has an individual with a Former Name"
    former = with_former[0]["former_names"][0]
    assert former["last_name"] == "Schultz" and former["first_name"] == "Laura"
