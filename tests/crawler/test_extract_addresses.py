"""US addresses as practice pages write them: the street ends where the page's street ends, the city
is a city of the ZIP. Streets and suites are invented; city and ZIP pairs are real."""

import pytest

from crawler.extract.addresses import address_key, find_addresses
from crawler.extract.contact import addresses_from_text

# (text as on the page, street, city, state, ZIP)
SHAPES = [
    ("410 Colorado Bluff Street, Suite 300\nAustin, TX 78701", "410 Colorado Bluff Street, Suite 300", "Austin", "TX", "78701"),
    ("2875 Bee Cave Hollow Road\nAustin, TX 78746", "2875 Bee Cave Hollow Road", "Austin", "TX", "78746"),
    ("2875 Bee Cave Hollow Road Austin, TX 78746", "2875 Bee Cave Hollow Road", "Austin", "TX", "78746"),
    ("1600 Larimer Bend, Suite 900 Denver, CO 80202", "1600 Larimer Bend, Suite 900", "Denver", "CO", "80202"),
    ("705 Clear Creek Switchback Golden, CO 80401", "705 Clear Creek Switchback", "Golden", "CO", "80401"),
    ("6620 Fannin Grove Drive, Suite 1210 Houston, TX 77030", "6620 Fannin Grove Drive, Suite 1210", "Houston", "TX", "77030"),
    ("24010 Cinco Prairie Parkway\nKaty, TX 77494", "24010 Cinco Prairie Parkway", "Katy", "TX", "77494"),
    ("24010 Cinco Prairie Pkwy., Katy TX 77494", "24010 Cinco Prairie Pkwy.", "Katy", "TX", "77494"),
    ("One Medical Plaza, Ste. 200, Denver CO 80202", "One Medical Plaza, Ste. 200", "Denver", "CO", "80202"),
    ("12000 N. Hwy 183 #210 Austin TX 78750", "12000 N. Hwy 183, # 210", "Austin", "TX", "78750"),
    ("Suite 210\n1888 Wynkoop Yard Denver, CO 80202-1234", "1888 Wynkoop Yard, Suite 210", "Denver", "CO", "80202"),
    ("9 N Main Street\nSalt Lake City, Utah 84101", "9 N Main Street", "Salt Lake City", "UT", "84101"),
    ("PO Box 1234, Katy, TX 77494", "PO Box 1234", "Katy", "TX", "77494"),
    ("P.O. Box 88\nBoulder, CO 80302", "P.O. Box 88", "Boulder", "CO", "80302"),
    ("1420 Peachtree St NE, Suite 400, Atlanta, GA 30309", "1420 Peachtree St NE, Suite 400", "Atlanta", "GA", "30309"),
    ("315 W. Ponce de Leon Ave., Decatur, GA 30030", "315 W. Ponce de Leon Ave.", "Decatur", "GA", "30030"),
    ("900 N. Michigan Avenue, 14th Floor\nChicago, IL 60611", "900 N. Michigan Avenue, 14th Floor", "Chicago", "IL", "60611"),
    ("635 Madison Ave, Fl 3, New York, NY 10022", "635 Madison Ave, Fl 3", "New York", "NY", "10022"),
    ("1200 Brickell Bay Drive Unit 1705 Miami, FL 33131", "1200 Brickell Bay Drive, Unit 1705", "Miami", "FL", "33131"),
    ("2222 E. Highland Ave., Ste. 105, Phoenix, AZ 85016", "2222 E. Highland Ave., Ste. 105", "Phoenix", "AZ", "85016"),
    ("509 Olive Way Suite 1220\nSeattle, WA 98104", "509 Olive Way, Suite 1220", "Seattle", "WA", "98104"),
    ("8631 W. Third Street, Suite 440E, Los Angeles, CA 90048", "8631 W. Third Street, Suite 440E", "Los Angeles", "CA", "90048"),
    ("9400 Brighton Way #202, Beverly Hills, CA 90210", "9400 Brighton Way, # 202", "Beverly Hills", "CA", "90210"),
    ("7940 Floyd Curl Dr., Bldg. 2\nSan Antonio, Texas 78229", "7940 Floyd Curl Dr., Bldg. 2", "San Antonio", "TX", "78229"),
    ("8220 Walnut Hill Ln, Suite 700, Dallas, TX 75225", "8220 Walnut Hill Ln, Suite 700", "Dallas", "TX", "75225"),
    ("300 Longwood Ave\nBoston, MA 02115", "300 Longwood Ave", "Boston", "MA", "02115"),
    ("2011 Church Street, Suite 600 Nashville, TN 37203", "2011 Church Street, Suite 600", "Nashville", "TN", "37203"),
    ("1221 NW 21st Ave.\nPortland, OR 97209", "1221 NW 21st Ave.", "Portland", "OR", "97209"),
    ("80 South 8th Street, Suite 900, Minneapolis, MN 55402", "80 South 8th Street, Suite 900", "Minneapolis", "MN", "55402"),
    ("7373 N. Scottsdale Rd., Suite B-150\nScottsdale, AZ 85251", "7373 N. Scottsdale Rd., Suite B-150", "Scottsdale", "AZ", "85251"),
    ("2100 Webster Street, Suite 420, San Francisco, CA 94115", "2100 Webster Street, Suite 420", "San Francisco", "CA", "94115"),
    ("833 Chestnut St., Suite 740 Philadelphia, PA 19107", "833 Chestnut St., Suite 740", "Philadelphia", "PA", "19107"),
    ("4921 Parkview Pl, St. Louis, MO 63110", "4921 Parkview Pl", "St. Louis", "MO", "63110"),
    ("3990 John R St\nDetroit, MI 48201", "3990 John R St", "Detroit", "MI", "48201"),
    ("1918 Randolph Rd., Suite 550, Charlotte, NC 28204", "1918 Randolph Rd., Suite 550", "Charlotte", "NC", "28204"),
    ("100 E. Colonial Dr., Orlando, FL 32803", "100 E. Colonial Dr.", "Orlando", "FL", "32803"),
    ("360 San Miguel Drive, Suite 404\nNewport Beach, CA 92660", "360 San Miguel Drive, Suite 404", "Newport Beach", "CA", "92660"),
    ("2021 K Street NW, Suite 210, Washington, DC 20037", "2021 K Street NW, Suite 210", "Washington", "DC", "20037"),
    ("1514 Jefferson Hwy., New Orleans, LA 70112", "1514 Jefferson Hwy.", "New Orleans", "LA", "70112"),
    ("3601 Fifth Avenue, 5th Floor\nPittsburgh, PA 15213", "3601 Fifth Avenue, 5th Floor", "Pittsburgh", "PA", "15213"),
    ("1801 N. Senate Blvd., Suite 345 Indianapolis, IN 46202", "1801 N. Senate Blvd., Suite 345", "Indianapolis", "IN", "46202"),
    ("777 E. Michigan St., Milwaukee, WI 53202", "777 E. Michigan St.", "Milwaukee", "WI", "53202"),
    ("100 N. Broadway Ave., Suite 2900\nOklahoma City, OK 73102", "100 N. Broadway Ave., Suite 2900", "Oklahoma City", "OK", "73102"),
    ("201 Third St NW, Suite 500, Albuquerque, NM 87102", "201 Third St NW, Suite 500", "Albuquerque", "NM", "87102"),
    ("3960 Howard Hughes Pkwy, Ste 100, Las Vegas, NV 89109", "3960 Howard Hughes Pkwy, Ste 100", "Las Vegas", "NV", "89109"),
    ("1380 Lusitana St., Suite 610\nHonolulu, HI 96813", "1380 Lusitana St., Suite 610", "Honolulu", "HI", "96813"),
    ("3260 Providence Drive, Anchorage, AK 99501", "3260 Providence Drive", "Anchorage", "AK", "99501"),
    ("222 N. 2nd St., Ste. 300, Boise, ID 83702", "222 N. 2nd St., Ste. 300", "Boise", "ID", "83702"),
    ("2900 12th Ave N Suite 150\nBillings, MT 59101", "2900 12th Ave N, Suite 150", "Billings", "MT", "59101"),
    ("1702 University Dr S, Fargo, ND 58103", "1702 University Dr S", "Fargo", "ND", "58103"),
    ("1305 W. 18th St.\nSioux Falls, SD 57104", "1305 W. 18th St.", "Sioux Falls", "SD", "57104"),
    ("1111 N. 13th St, Omaha, NE 68102", "1111 N. 13th St", "Omaha", "NE", "68102"),
    ("11501 Ash Street, Suite 202, Leawood, KS 66211", "11501 Ash Street, Suite 202", "Leawood", "KS", "66211"),
    ("500 S. University Ave., Little Rock, AR 72201", "500 S. University Ave.", "Little Rock", "AR", "72201"),
    ("1190 N. State St., Suite 102\nJackson, MS 39216", "1190 N. State St., Suite 102", "Jackson", "MS", "39216"),
    ("2700 10th Ave. S., Suite 301, Birmingham, AL 35205", "2700 10th Ave. S., Suite 301", "Birmingham", "AL", "35205"),
    ("401 W. Main St., Louisville, KY 40202", "401 W. Main St.", "Louisville", "KY", "40202"),
    ("595 E. Broad St. Columbus, OH 43215", "595 E. Broad St.", "Columbus", "OH", "43215"),
    ("1001 E. Marshall Street, Richmond, VA 23219", "1001 E. Marshall Street", "Richmond", "VA", "23219"),
    ("410 Market St., Suite 400\nChapel Hill, NC 27514", "410 Market St., Suite 400", "Chapel Hill", "NC", "27514"),
    ("1333 Taylor Street, Columbia, SC 29201", "1333 Taylor Street", "Columbia", "SC", "29201"),
    ("40 Temple Street, Suite 5A, New Haven, CT 06510", "40 Temple Street, Suite 5A", "New Haven", "CT", "06510"),
    ("22 Bramhall St.\nPortland, ME 04101", "22 Bramhall St.", "Portland", "ME", "04101"),
    ("111 Colchester Ave., Burlington, VT 05401", "111 Colchester Ave.", "Burlington", "VT", "05401"),
    ("250 Pleasant St, Concord, NH 03301", "250 Pleasant St", "Concord", "NH", "03301"),
    ("593 Eddy Street, Providence, RI 02903", "593 Eddy Street", "Providence", "RI", "02903"),
    ("22 S. Greene St.\nBaltimore, MD 21201", "22 S. Greene St.", "Baltimore", "MD", "21201"),
    ("501 W. 14th St., Wilmington, DE 19801", "501 W. 14th St.", "Wilmington", "DE", "19801"),
]  # fmt: skip


def test_the_table_has_at_least_sixty_shapes():
    assert len(SHAPES) >= 60


@pytest.mark.parametrize(("text", "street", "city", "state", "zip_code"), SHAPES)
def test_the_street_ends_where_the_page_street_ends_and_the_city_is_the_zips(
    text, street, city, state, zip_code
):
    [address] = addresses_from_text(text)
    assert (address["street"], address["city"], address["state"], address["postal_code"]) == (
        street,
        city,
        state,
        zip_code,
    )


def test_leading_words_of_a_sentence_are_not_part_of_the_street():
    text = "Visit Lakeside Dermatology at 410 Colorado Bluff Street\nAustin, TX 78701 today."
    [address] = addresses_from_text(text)
    assert address["street"] == "410 Colorado Bluff Street"


def test_a_city_that_is_not_a_city_of_its_zip_is_not_published_as_written():
    [address] = addresses_from_text("410 Colorado Bluff Street, Dallas, TX 78701")
    assert address["city"] == "Austin" and address["city_as_written"] == "Dallas"


def test_several_addresses_and_their_own_phones():
    text = (
        "Medical Center\n6620 Fannin Grove Drive, Suite 1210 Houston, TX 77030 Phone: (713) 555-0161"
        "\nKaty\n24010 Cinco Prairie Parkway Katy, TX 77494 Phone: (281) 555-0162"
    )
    found = addresses_from_text(text)
    assert [(a["city"], a["phone"]) for a in found] == [
        ("Houston", "+17135550161"),
        ("Katy", "+12815550162"),
    ]


def test_a_city_and_state_without_a_street_is_no_address():
    assert find_addresses("We serve patients from Austin, TX 78701 and beyond.") == []


def test_pkwy_and_parkway_are_one_office():
    assert address_key("2875 Bee Cave Hollow Pkwy", "78746") == address_key(
        "2875 Bee Cave Hollow Parkway, Suite 2", "78746-1234"
    )
    assert address_key("2875 Bee Cave Hollow Pkwy", "78746") != address_key(
        "2877 Bee Cave Hollow Pkwy", "78746"
    )
