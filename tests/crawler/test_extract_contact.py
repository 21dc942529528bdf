from crawler.extract.contact import (
    addresses_from_html,
    addresses_from_text,
    merge_addresses,
    phones_from_html,
    phones_from_text,
)
from tests.crawler.conftest import fixture_page


def test_tel_links_come_first_then_visible_numbers():
    phones = phones_from_html(fixture_page("pages", "footer_contact.html"))
    assert phones[0] == "+12145550101"
    assert phones[1:] == ["+12145550102", "+12145550103", "+12145550104"]


def test_numbers_that_are_not_phones_are_ignored():
    assert phones_from_text("Open 9 to 5, 2024 patients, ZIP 75201, order 12345678") == []


def test_street_suite_city_state_zip_on_one_line():
    assert addresses_from_text(
        "Visit 1200 Lakeshore Blvd, Suite 310, Austin, TX 78701-1234 today"
    ) == [
        {
            "street": "1200 Lakeshore Blvd, Suite 310",
            "city": "Austin",
            "state": "TX",
            "postal_code": "78701",
            "phone": None,
        }
    ]


def test_addresses_across_lines_with_full_state_names():
    assert addresses_from_text("9 N Main Street\nSalt Lake City, Utah 84101") == [
        {
            "street": "9 N Main Street",
            "city": "Salt Lake City",
            "state": "UT",
            "postal_code": "84101",
            "phone": None,
        }
    ]


def test_page_addresses_are_deduplicated_in_document_order():
    addresses = addresses_from_html(fixture_page("pages", "footer_contact.html"))
    assert [a["postal_code"] for a in addresses] == ["75201", "84101"]
    assert addresses[0]["street"] == "500 W 5th St, Suite 1200"


def test_text_without_a_street_number_is_not_an_address():
    assert addresses_from_text("We serve Austin, TX 78701 and nearby towns") == []


def test_line_laid_addresses_need_no_known_street_type_and_keep_their_phone():
    text = "1888 Wynkoop Yard, Suite 210\nDenver, CO 80202\nPhone: (720) 555-0191"
    assert addresses_from_text(text) == [
        {
            "street": "1888 Wynkoop Yard, Suite 210",
            "city": "Denver",
            "state": "CO",
            "postal_code": "80202",
            "phone": "+17205550191",
        }
    ]


def test_each_office_keeps_its_own_phone():
    html = """<main><p>410 Colorado Bluff Street<br>Austin, TX 78701<br>Phone: (512) 555-0134</p>
      <p>2875 Bee Cave Hollow Road<br>Austin, TX 78746<br>Phone: (512) 555-0135</p></main>"""
    assert [(a["postal_code"], a["phone"]) for a in addresses_from_html(html)] == [
        ("78701", "+15125550134"),
        ("78746", "+15125550135"),
    ]


def test_a_street_cut_short_by_an_unknown_street_type_is_the_same_place():
    known = [{"street": "705 Clear Creek Switchback", "city": "Golden", "state": "CO",
              "postal_code": "80401", "phone": "+13035550185"}]  # fmt: skip
    merge_addresses(known, addresses_from_text("705 Clear Creek Switchback Golden, CO 80401"))
    assert len(known) == 1 and known[0]["city"] == "Golden"
