from crawler.extract.structured import structured_from_html
from tests.crawler.conftest import fixture_page

URL = "http://127.0.1.9:8000/"


def _data():
    return structured_from_html(fixture_page("pages", "schema.html"), URL)


def test_practice_name_address_and_phone_from_json_ld():
    data = _data()
    assert data.practice_names == ["Maple Aesthetic Surgery"]
    assert data.addresses == [
        {
            "street": "77 Aspen Way",
            "city": "Denver",
            "state": "CO",
            "postal_code": "80202",
            "phone": "+13035550166",
        }
    ]
    assert data.telephones == ["+13035550166"]


def test_people_from_json_ld_microdata_and_rdfa():
    people = {p.name: p for p in _data().people}
    assert set(people) == {"Nora Grant", "Omar Fitch", "Rhea Cole"}
    assert people["Omar Fitch"].credentials == ["MD"]
    assert (
        people["Rhea Cole"].role == "physician_assistant" and not people["Rhea Cole"].is_physician
    )


def test_a_typed_physician_without_credentials_counts_as_physician():
    people = {p.name: p for p in _data().people}
    assert people["Nora Grant"].is_physician


def test_medical_specialty_becomes_slugs_per_person():
    data = _data()
    assert data.person_specialties["nora grant"] == ["plastic-surgery"]
    assert data.person_specialties["omar fitch"] == ["dermatology"]


def test_reviews_and_ratings_are_never_read():
    assert all(p.name != "Pat Reviewer" for p in _data().people)


def test_broken_or_empty_markup_yields_nothing_instead_of_failing():
    assert structured_from_html("", URL).people == []
    assert (
        structured_from_html(
            "<html><script type='application/ld+json'>{bad</script></html>", URL
        ).people
        == []
    )


def test_an_npi_identifier_in_markup_belongs_to_its_person():
    html = """<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Physician",
      "name": "Dr. Ana Ruiz, MD", "identifier": {"@type": "PropertyValue", "propertyID": "NPI",
      "value": "1234567893"}}</script><script type="application/ld+json">{"@type": "Physician",
      "name": "Ben Okafor, DO", "identifier": {"propertyID": "NPI", "value": "1234567890"}}</script>"""
    people = {p.name: p for p in structured_from_html(html, URL).people}
    assert people["Ana Ruiz"].npi == "1234567893"
    assert people["Ben Okafor"].npi is None  # check digit fails
