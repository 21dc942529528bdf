from hypothesis import given
from hypothesis import strategies as st

from crawler.extract.normalise import (
    name_key,
    normalise_credentials,
    normalise_state,
    normalise_zip,
    npi_is_valid,
    phone_e164,
    role_for_credentials,
    specialties_for_codes,
    specialties_from_text,
    tidy_name_part,
)


def _with_check_digit(first9: str) -> str:
    for digit in "0123456789":
        if npi_is_valid(first9 + digit):
            return first9 + digit
    raise AssertionError("no check digit found")


def test_known_valid_npis_pass_the_check_digit():
    # Real NPIs from the NPPES samples and the CMS example NPI.
    for npi in ("1295729051", "1114382983", "1508906702", "1234567893"):
        assert npi_is_valid(npi)


def test_a_changed_digit_fails_the_check_digit():
    assert not npi_is_valid("1295729052")
    assert not npi_is_valid("1234567890")


def test_npi_must_be_ten_digits():
    for bad in (None, "", "123456789", "12345678931", "12345 6789", "abcdefghij"):
        assert not npi_is_valid(bad)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_makes_any_nine_digits_valid(first9):
    valid = [d for d in "0123456789" if npi_is_valid(first9 + d)]
    assert len(valid) == 1


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 8), st.integers(1, 9))
def test_a_single_digit_typo_is_always_caught(first9, position, delta):
    npi = _with_check_digit(first9)
    typo = npi[:position] + str((int(npi[position]) + delta) % 10) + npi[position + 1 :]
    assert not npi_is_valid(typo)


def test_phone_formats_become_e164():
    assert phone_e164("512-555-0123") == "+15125550123"
    assert phone_e164("(512) 555-0199") == "+15125550199"
    assert phone_e164("#(770) 403-3124") == "+17704033124"
    assert phone_e164("7734359036") == "+17734359036"
    assert phone_e164("+1 512.555.0100") == "+15125550100"


def test_scientific_notation_phone_is_missing_not_repaired():
    assert phone_e164("2.12689E+12") is None


def test_short_or_foreign_phones_are_rejected():
    for bad in (None, "", "555-0123", "+44 20 7946 0958", "012-555-0123"):
        assert phone_e164(bad) is None


@given(st.text(max_size=30))
def test_phone_normalisation_never_crashes_and_is_e164_or_none(text):
    result = phone_e164(text)
    assert result is None or (result.startswith("+1") and len(result) == 12)


def test_zip_plus_four_and_nine_digit_zips_become_five_digits():
    assert normalise_zip("78701-1234") == "78701"
    assert normalise_zip("787011234") == "78701"
    assert normalise_zip("30329") == "30329"


def test_excel_damaged_zips_are_padded():
    assert normalise_zip("64844660") == "06484"  # 06484-4660 lost its zero
    assert normalise_zip("4416") == "04416"
    assert normalise_zip("659") == "00659"
    assert normalise_zip("6591234") == "00659"
    assert normalise_zip(41023134) == "04102"


def test_ambiguous_or_empty_zips_are_none():
    for bad in (None, "", "123456", "00000", "12", "abcde"):
        assert normalise_zip(bad) is None


@given(st.integers(min_value=0, max_value=999_999_999))
def test_zip_normalisation_returns_five_digits_or_none(number):
    result = normalise_zip(str(number))
    assert result is None or (len(result) == 5 and result.isdigit())


def test_credentials_are_normalised_without_dots():
    assert normalise_credentials("M.D., FAAD") == ["MD", "FAAD"]
    assert normalise_credentials("Ph.D.") == ["PhD"]
    assert normalise_credentials("DPT, PT") == ["DPT", "PT"]
    assert normalise_credentials("LCMHC,") == ["LCMHC"]
    assert normalise_credentials("pa-c") == ["PA-C"]
    assert normalise_credentials(None) == []


def test_roles_follow_credentials_with_physician_first():
    assert role_for_credentials(["MD", "PhD"]) == "physician"
    assert role_for_credentials(["DO"]) == "physician"
    assert role_for_credentials(["PA-C"]) == "physician_assistant"
    assert role_for_credentials(["FNP-C"]) == "nurse_practitioner"
    assert role_for_credentials(["RN", "BSN"]) == "nurse"
    assert role_for_credentials(["LE"]) == "aesthetician"
    assert role_for_credentials(["PT"]) == "other"


def test_taxonomy_codes_map_on_the_code():
    assert specialties_for_codes(["207N00000X"]) == ["dermatology"]
    assert specialties_for_codes(["207ND0101X"]) == ["dermatology", "mohs-surgery"]
    assert specialties_for_codes(["2082S0099X"]) == ["plastic-surgery"]
    assert specialties_for_codes(["207YX0905X", "207YS0123X", "207YX0007X"]) == [
        "facial-plastic-surgery"
    ]
    assert specialties_for_codes(["2086S0122X"]) == ["plastic-surgery"]
    assert specialties_for_codes(["207WX0200X"]) == ["oculoplastic-surgery"]


def test_irrelevant_taxonomy_codes_map_to_nothing():
    # General ENT, general surgery, ophthalmology, NP, PA, RN plastic surgery: not in scope.
    assert (
        specialties_for_codes(["207Y00000X", "208600000X", "207W00000X", "363L00000X", None]) == []
    )
    assert specialties_for_codes(["163WS0121X", "225100000X"]) == []


def test_every_relevant_nucc_code_maps_only_to_known_slugs(realdata):
    import csv

    from index.records import SPECIALTY_SLUGS

    with open(
        realdata / "taxonomy" / "nucc_taxonomy_251_all_codes_no_definitions.csv", encoding="utf-8"
    ) as f:
        codes = [row["Code"] for row in csv.DictReader(f)]
    assert len(codes) > 800
    mapped = {code: specialties_for_codes([code]) for code in codes}
    assert all(slug in SPECIALTY_SLUGS for slugs in mapped.values() for slug in slugs)
    assert {c for c, s in mapped.items() if s} >= {
        "207N00000X",
        "207ND0101X",
        "208200000X",
        "207WX0200X",
    }
    # Nothing outside the derm/plastic/ENT-facial/oculoplastic/surgery-plastic families is mapped.
    assert all(
        c.startswith(("207N", "2082", "207Y", "2086", "207W")) for c, s in mapped.items() if s
    )


def test_specialties_from_text_claims():
    assert specialties_from_text("Our board-certified dermatologist") == ["dermatology"]
    assert specialties_from_text("a fellowship-trained Mohs surgeon") == [
        "mohs-surgery",
        "dermatology",
    ]
    assert specialties_from_text("She is a facial plastic surgeon") == ["facial-plastic-surgery"]
    assert specialties_from_text("certified by the American Board of Cosmetic Surgery") == [
        "cosmetic-surgery"
    ]
    assert specialties_from_text("an oculoplastic specialist") == ["oculoplastic-surgery"]
    assert specialties_from_text("a board-certified plastic surgeon") == ["plastic-surgery"]
    assert specialties_from_text("We love healthy skin") == []


def test_states_from_codes_and_names():
    assert normalise_state("tx") == "TX"
    assert normalise_state("GEORGIA") == "GA"
    assert normalise_state("GAS") is None


def test_registry_names_are_title_cased():
    assert tidy_name_part("O'NEIL-SMITH") == "O'Neil-Smith"
    assert tidy_name_part("MCDONALD") == "McDonald"
    assert tidy_name_part("10 E 102ND ST") == "10 E 102nd St"
    assert tidy_name_part("--") is None
    assert tidy_name_part("DeLuca") == "DeLuca"


def test_name_keys_ignore_case_and_punctuation():
    assert name_key("Ana  M. Ruiz") == name_key("ana m ruiz") == "ana m ruiz"
