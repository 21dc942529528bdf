import io

import pytest

from crawler.extract.cms import CmsFormatError, header_map, iter_practitioners, repair_zip
from index.records import Observation


def _practitioners(realdata, name):
    with open(realdata / "cms_dac" / name, encoding="utf-8", newline="") as lines:
        return list(iter_practitioners(lines))


def test_2021_sample_keeps_dermatology_mohs_and_plastic_secondaries(realdata):
    people = {p["npi"]: p for p in _practitioners(realdata, "dac_ndf_2021_sample_386rows.csv")}
    # 7 DERMATOLOGY primaries (one also MDS) + 1 HAND SURGERY with PLASTIC AND RECONSTRUCTIVE SURGERY.
    assert len(people) == 8
    assert people["1215374186"]["specialties"] == ["dermatology", "mohs-surgery"]
    assert people["1215131099"]["specialties"] == ["plastic-surgery"]
    # OTOLARYNGOLOGY alone is not kept (no facial-plastic label exists in CMS data).
    assert "1215909973" not in people and "1215131883" not in people


def test_2021_payloads_meet_the_contract(realdata):
    for payload in _practitioners(realdata, "dac_ndf_2021_sample_386rows.csv"):
        Observation(
            "cms", "practitioner", payload["npi"], None, "2026-11-25T00:00:00Z", payload
        ).validate()
        assert payload["is_physician"] and payload["pac_id"]
        for location in payload["locations"]:
            assert len(location["postal_code"]) == 5 and location["state"]


def test_header_leading_spaces_and_the_three_layouts_are_understood():
    legacy = header_map(
        ["NPI", " Ind_PAC_ID", " lst_nm", " frst_nm", " pri_spec", " zip", " phn_numbr"]
    )
    assert {"npi", "pac_id", "last_name", "first_name", "pri_spec", "zip", "phone"} <= set(legacy)
    current = header_map(
        ["NPI", "Ind_PAC_ID", "Provider Last Name", "Provider First Name", "pri_spec", "Facility Name",
         "City/Town", "State", "ZIP Code", "Telephone Number"]
    )  # fmt: skip
    assert {"last_name", "org_name", "city", "state", "zip", "phone"} <= set(current)
    api = header_map(
        ["npi", "provider_last_name", "pri_spec", "facility_name", "citytown", "zip_code"]
    )
    assert {"last_name", "org_name", "city", "zip"} <= set(api)


def test_a_file_without_npi_or_specialty_columns_is_rejected():
    with pytest.raises(CmsFormatError):
        list(iter_practitioners(io.StringIO("name,city\nA,B\n")))


def test_multi_row_npis_merge_into_one_practitioner_with_several_locations():
    csv_text = (
        "NPI,Ind_PAC_ID,Provider Last Name,Provider First Name,Cred,pri_spec,Facility Name,org_pac_id,"
        "adr_ln_1,City/Town,State,ZIP Code,Telephone Number\n"
        "1234567893,42,RUIZ,ANA,MD,DERMATOLOGY,LAKESIDE DERMATOLOGY PLLC,77,1 MAIN ST,AUSTIN,TX,787011234,5125550123\n"
        "1245319599,43,DOE,JO,,INTERNAL MEDICINE,,,2 OAK ST,AUSTIN,TX,78701,\n"
        "1234567893,42,RUIZ,ANA,MD,DERMATOLOGY,LAKESIDE DERMATOLOGY PLLC,77,9 ELM ST,ROUND ROCK,TX,78664,2.12689E+12\n"
    )
    [payload] = list(iter_practitioners(io.StringIO(csv_text)))
    assert payload["name"] == "Ana Ruiz" and payload["credentials"] == ["MD"]
    assert payload["practice_name"] == "Lakeside Dermatology PLLC"
    assert [loc["city"] for loc in payload["locations"]] == ["Austin", "Round Rock"]
    assert payload["locations"][0]["phone"] == "+15125550123"
    assert payload["locations"][1]["phone"] is None  # scientific notation: lost, not repaired


def test_zip_is_recovered_from_the_address_id():
    assert repair_zip("64844660", "CT064844660SH1000XAVEX301") == "06484"
    assert repair_zip("659", None) == "00659"


def test_derived_2026_file_repairs_zips_and_skips_blank_rows(realdata):
    people = _practitioners(realdata, "dac_DERIVED_2026_maine_7col_subset.csv")
    assert len(people) == 34  # distinct NPIs among DERMATOLOGY, PLASTIC..., MDS rows
    zips = {loc["postal_code"] for p in people for loc in p["locations"]}
    # Maine ZIPs (039xx-049xx) lost their leading zero: 41022691 was 04102-2691, 4092 was 04092.
    assert all(z.startswith(("039", "04")) and len(z) == 5 for z in zips)
    assert {"04102", "04092", "03909"} <= zips
    assert all(p["name"] and p["last_name"] for p in people)
