"""Mechanisms the held-out batch 05 showed missing: surname-first faculty names, businesses that
read like names, refusals of a person or an office, offers placed at other offices, buildings
named before the street number."""

from crawler.extract.addresses import find_addresses
from crawler.extract.people import people_from_text
from crawler.extract.scope import SitePerson, person_verdict, sort_statements
from crawler.extract.statements import read_sentence


def test_surname_first_names_of_faculty_directories_are_people():
    [person] = people_from_text("TRAN-NGUYEN, Lily, MD")
    assert (person.first_name, person.last_name, person.credentials) == (
        "Lily",
        "Tran-Nguyen",
        ["MD"],
    )
    [person] = people_from_text("HALLORANN III, Peter J., MD")
    assert (person.last_name, person.suffix) == ("Hallorann", "III")
    assert people_from_text("Bethesda, Maryland, MD 20892") == []


def test_a_business_described_like_a_person_is_not_a_person():
    assert people_from_text("Saguaro Glow is a physician-directed medical spa in Scottsdale.") == []
    assert people_from_text("Prairie Lantern is an independent, physician-owned practice.") == []
    text = "At Luxe Contour, every Morpheus8 treatment plan is designed by one of our surgeons."
    assert people_from_text(text) == []
    [person] = people_from_text("Dr. Ana Ruiz is a board-certified dermatologist at our practice.")
    assert person.name == "Ana Ruiz"


def test_refusals_of_a_person_and_of_an_office():
    menon = read_sentence(
        "Dr. Menon's schedule is dedicated to skin cancer surgery, so he does not see patients "
        "for cosmetic treatments such as microneedling."
    )
    assert (menon.polarity, menon.agent) == ("refusal", "person")
    office = read_sentence(
        "Microneedling is not performed at our Northgate clinic; patients are scheduled at the "
        "Riverside Pavilion instead."
    )
    assert office.polarity == "refusal"
    assert office.places == ("Northgate",)  # the refusal's own clause, not the other office


def test_an_office_as_subject_and_offers_placed_at_other_offices():
    reading = read_sentence("Our Round Rock office offers SkinPen microneedling on Tuesdays.")
    assert (reading.polarity, reading.places) == ("offer", ("Round Rock",))
    elsewhere = read_sentence(
        "Cosmetic treatments such as microneedling are scheduled at our Round Rock and Cedar "
        "Park offices."
    )
    assert (elsewhere.polarity, elsewhere.places) == ("offer", ("Round Rock", "Cedar Park"))


def _entry(statement, **kw):
    base = {"statement": statement, "strength": "explicit", "quote": "q", "term": "microneedling"}
    return {**base, **kw}


def test_a_practice_that_stopped_beats_an_old_blog_post_naming_a_doctor():
    doctor = SitePerson("ana ruiz", "Ana", "Ruiz", True)
    entries = [
        _entry("refusal"),  # "We no longer offer microneedling."
        _entry("offer", person="ana ruiz", page_kind="article"),  # the 2019 announcement
    ]
    assert person_verdict(doctor, sort_statements(entries, [doctor])).status == "does_not_offer"
    bio = [_entry("refusal"), _entry("offer", person="ana ruiz", page_kind="other")]
    assert person_verdict(doctor, sort_statements(bio, [doctor])).status == "offers"


def test_a_building_named_before_the_number_is_not_the_street():
    [(address, _end)] = find_addresses(
        "Address: Northgate Health Center, 10400 N. Port Washington Road, Suite 140, Mequon, WI 53092"
    )
    assert address["street"] == "10400 N. Port Washington Road, Suite 140"
