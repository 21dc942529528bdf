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


def test_a_physician_who_does_no_cosmetic_care_refuses_it_without_naming_it():
    from crawler.extract.category import read_category_refusal

    refusal = read_category_refusal("Dr. McBride-Okonkwo does not perform cosmetic procedures.")
    assert (refusal.polarity, refusal.people) == ("refusal", ("Dr. McBride-Okonkwo",))
    assert read_category_refusal("His practice is limited to Mohs surgery.").agent == "pronoun"
    assert (
        read_category_refusal("We do not perform cosmetic procedures on pregnant patients.") is None
    )
    assert read_category_refusal("She performs cosmetic procedures.") is None


def test_performed_at_a_place_by_named_people_names_them():
    reading = read_sentence(
        "Microneedling is performed at the Midtown Clinic by Dr. Rebecca Lindqvist and Holly "
        "Brennan, APRN."
    )
    assert (reading.rule, reading.people) == ("performed by", ("Dr. Rebecca Lindqvist",))


def test_a_physician_whose_office_is_unknown_gets_no_verdict_from_some_offices():
    from crawler.extract.scope import person_verdict

    placed = SitePerson("ana ruiz", "Ana", "Ruiz", True, places=("office-0",))
    new = SitePerson("amara singh", "Amara", "Singh", True)
    entry = _entry("offer", offices=["office-0"])
    statements = sort_statements([entry], [placed, new])
    statements.office_count = 3
    assert person_verdict(placed, statements).status == "offers"
    assert person_verdict(new, statements).status is None
    statements.office_count = 1
    assert person_verdict(new, statements).status == "offers"


def test_a_doctor_named_only_in_alt_text_is_the_physician_of_that_last_name():
    from crawler.extract.site import SiteState, read_page, site_items

    state = SiteState(root="http://derm.test/")
    team = (
        '<main><img src="n.jpg" alt="Headshot of Dr. Tina Nguyen">'
        "<h3>Thanh “Tina” Nguyen, MD, FAAD</h3><p>Board-certified dermatologist</p>"
        "<h3>Pieter van der Berg, DO</h3><p>Mohs surgeon</p></main>"
    )
    read_page(state, team, "http://derm.test/providers/", "2026-12-01")
    items = site_items(state, "2026-12-01")
    names = sorted(i.name for i in items if i.kind == "practitioner")
    assert names == ["Pieter van der Berg", "Thanh Nguyen"]
    [practice] = [i for i in items if i.kind == "practice"]
    assert practice.staff == []  # not a second, unknown "Tina Nguyen" on the staff
    assert "tina nguyen" not in state.people
