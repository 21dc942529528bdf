import pytest

from crawler.extract.name_lines import people_from_html
from crawler.extract.people import people_from_text, person_from_name


def _one(text, heading=False):
    people = people_from_text(text, heading=heading)
    assert len(people) == 1, people
    return people[0]


@pytest.mark.parametrize(
    ("text", "name", "credentials", "role"),
    [
        ("Meet Dr. Ana Ruiz, MD", "Ana Ruiz", ["MD"], "physician"),
        ("Ana Ruiz, M.D., FAAD", "Ana Ruiz", ["MD", "FAAD"], "physician"),
        ("Dr. Ben Okafor (DO)", "Ben Okafor", ["DO"], "physician"),
        ("Jordan Lee, PA-C", "Jordan Lee", ["PA-C"], "physician_assistant"),
        ("Sarah Nguyen, FNP-C", "Sarah Nguyen", ["FNP-C"], "nurse_practitioner"),
        ("Kim Park, RN, BSN", "Kim Park", ["RN", "BSN"], "nurse"),
        ("Lia Moss, LE", "Lia Moss", ["LE"], "aesthetician"),
        ("Microneedling With Ana Ruiz, MD", "Ana Ruiz", ["MD"], "physician"),
    ],
)
def test_names_with_credentials_are_people(text, name, credentials, role):
    person = _one(text)
    assert (person.name, person.credentials, person.role) == (name, credentials, role)
    assert person.is_physician == (role == "physician")


def test_name_parts_and_suffix_are_split():
    person = _one("Samuel T. Reyes Jr., M.D.")
    assert (person.first_name, person.middle_name, person.last_name, person.suffix) == (
        "Samuel",
        "T.",
        "Reyes",
        "Jr.",
    )


def test_dr_title_in_a_heading_is_a_person_but_not_proof_of_physician():
    person = _one("Dr. Maria Elena Soto", heading=True)
    assert person.name == "Maria Elena Soto"
    assert person.titled_doctor and not person.is_physician


def test_dr_title_in_running_text_is_not_enough():
    assert people_from_text("Dr. Maria Soto performs microneedling on Tuesdays.") == []


@pytest.mark.parametrize(
    "text",
    ["Skin Rejuvenation Center, MD", "Our Team", "Cosmetic Dermatology", "Austin Laser Clinic, PA",
     "Book With Us Today", "Dr. Ruiz"],
)  # fmt: skip
def test_random_headings_do_not_become_people(text):
    assert people_from_text(text, heading=True) == []


def test_people_on_a_page_are_merged_by_name_and_nav_is_ignored():
    html = """<html><body><nav><h2>Dr. Nav Person, MD</h2></nav><main>
      <h2>Dr. Ana Ruiz</h2><p>Ana Ruiz, MD, FAAD, founded the practice.</p>
      <h3>Jordan Lee, PA-C</h3></main></body></html>"""
    people = {p.name: p for p in people_from_html(html)}
    assert set(people) == {"Ana Ruiz", "Jordan Lee"}
    assert people["Ana Ruiz"].credentials == ["MD", "FAAD"]
    assert people["Ana Ruiz"].is_physician


def test_person_from_a_schema_name_field():
    person = person_from_name("Dr. Ana Ruiz, M.D.")
    assert (person.name, person.credentials, person.is_physician) == ("Ana Ruiz", ["MD"], True)
    assert person_from_name("Lakeside Dermatology") is None


def test_brand_possessives_are_not_people():
    assert people_from_text("Dr. Scholl's Freeze Away Tips", heading=True) == []


def test_long_titled_phrases_without_credentials_are_not_people():
    assert people_from_text("Dr. Ana Maria Lucia Ruiz", heading=True) == []


def test_schema_physician_markup_survives_a_merge_with_an_uncredentialed_heading():
    from crawler.extract.structured import structured_from_html

    html = """<html><head><script type="application/ld+json">
      {"@context": "https://schema.org", "@type": "Physician", "name": "Elena Vasquez"}</script></head>
      <body><main><h1>Dr. Elena Vasquez</h1></main></body></html>"""
    [from_heading] = people_from_html(html)
    [from_schema] = structured_from_html(html, "http://a.test/").people
    from_heading.merge(from_schema)
    assert from_heading.is_physician and from_heading.role == "physician"


def test_an_npi_is_read_only_when_stated_once_with_a_valid_check_digit():
    from crawler.extract.people import npi_from_text

    assert npi_from_text("National Provider Identifier (NPI): 1234567893") == "1234567893"
    assert npi_from_text("NPI 1234567890") is None  # bad check digit
    assert npi_from_text("NPI 1234567893, group NPI 1245319599") is None  # whose?
    assert npi_from_text("Call 1234567893") is None


def test_credentials_in_the_block_under_a_name_heading_belong_to_it():
    html = """<main><h3>Dr. Rafael Souza</h3><p>MD, FAAD</p><p>Board-certified dermatologist</p>
      <h3>Hailey Dunn</h3><p>PA-C</p></main>"""
    people = {p.name: (p.credentials, p.role) for p in people_from_html(html)}
    assert people == {
        "Rafael Souza": (["MD", "FAAD"], "physician"),
        "Hailey Dunn": (["PA-C"], "physician_assistant"),
    }


def test_names_in_capitals_are_read():
    [person] = people_from_html("<main><h2>DR. SAMUEL MCBRIDE, MD, FACS</h2></main>")
    assert (person.name, person.credentials) == ("Samuel McBride", ["MD", "FACS"])


def test_an_earlier_last_name_written_beside_a_name_is_kept():
    [person] = people_from_text("Laura Costa, MD (née Schultz)")
    assert (person.name, person.former_last_names) == ("Laura Costa", ["Schultz"])
    [person] = people_from_text("Dr. Ana Ruiz, MD (formerly Ana Smith) joined us in 2019.")
    assert person.former_last_names == ["Smith"]
