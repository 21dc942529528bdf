"""Render the hand-written spec (spec_sites.py) into the static demo web: sites/, truth.json, nppes.json.

Run once after editing the spec: `python data/demo_web/build_demo_web.py`. The output is committed;
the demo server only serves files and never runs this.
"""

from __future__ import annotations

import html
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from spec_sites import NPPES_ONLY, SITES

ROOT = Path(__file__).resolve().parent

SCHEMA_SPECIALTY = {
    "dermatology": "Dermatology",
    "mohs-surgery": "Dermatology",
    "plastic-surgery": "PlasticSurgery",
    "facial-plastic-surgery": "PlasticSurgery",
    "cosmetic-surgery": "PlasticSurgery",
    "oculoplastic-surgery": "PlasticSurgery",
}
ROLE_TITLE = {
    "physician_assistant": "Physician Assistant",
    "nurse_practitioner": "Nurse Practitioner",
    "nurse": "Registered Nurse",
    "aesthetician": "Licensed Aesthetician",
}
TAXONOMY_DESC = {
    "207N00000X": "Dermatology",
    "207ND0101X": "Dermatology, MOHS-Micrographic Surgery",
    "207NS0135X": "Dermatology, Procedural Dermatology",
    "208200000X": "Plastic Surgery",
    "2082S0099X": "Plastic Surgery, Plastic Surgery Within the Head and Neck",
    "207YS0123X": "Otolaryngology, Facial Plastic Surgery",
    "2086S0122X": "Surgery, Plastic and Reconstructive Surgery",
    "207WX0200X": "Ophthalmology, Ophthalmic Plastic and Reconstructive Surgery",
    "363L00000X": "Nurse Practitioner",
    "163WS0121X": "Registered Nurse, Plastic Surgery",
}
# Physicians who practise at the second office of a two-office site (their NPPES LOCATION).
SECOND_OFFICE = {"Laura Kim", "Julia Novak", "Ingrid Solberg"}
NAV_TITLES = {
    "team": ("team.html", "Our Team"),
    "services": ("services.html", "Services"),
    "microneedling": ("microneedling.html", "Microneedling"),
    "faq": ("faq.html", "FAQ"),
    "blog": ("blog/", "Blog"),
    "contact": ("contact.html", "Contact"),
}
NPI_SEED = 155_501_000


def npi_check_digit(first_nine: str) -> str:
    """Luhn check digit over the ISO prefix 80840 plus the first nine NPI digits."""
    digits = [int(c) for c in "80840" + first_nine]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def make_npi(index: int) -> str:
    first_nine = str(NPI_SEED + index * 37)
    return first_nine + npi_check_digit(first_nine)


def e164(phone: str) -> str:
    return "+1" + "".join(c for c in phone if c.isdigit())


def dashed(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def person_slug(name: str) -> str:
    return name.lower().replace(" ", "-")


# ---------------------------------------------------------------- NPPES records


def epoch_ms(day: str, seconds: int) -> str:
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return str(int(moment.timestamp()) * 1000 + seconds * 1000)


def nppes_dates(index: int) -> tuple[str, str]:
    year = 2006 + (index * 5) % 17
    enumerated = f"{year}-{(index * 7) % 12 + 1:02d}-{(index * 11) % 27 + 1:02d}"
    updated = (
        f"{min(year + 3 + index % 6, 2026)}-{(index * 5) % 12 + 1:02d}-{(index * 3) % 27 + 1:02d}"
    )
    return enumerated, updated


def nppes_address(
    purpose: str,
    street: str,
    street2: str | None,
    city: str,
    state: str,
    postal: str,
    phone: str | None,
    fax: str | None,
) -> dict:
    address = {
        "address_1": street,
        "address_purpose": purpose,
        "address_type": "DOM",
        "city": city,
        "country_code": "US",
        "country_name": "United States",
        "postal_code": postal,
        "state": state,
    }
    if street2:
        address["address_2"] = street2
    if phone:
        address["telephone_number"] = phone
    if fax:
        address["fax_number"] = fax
    return address


def nppes_taxonomies(
    codes: list[str], state: str, index: int, null_desc: bool = False
) -> list[dict]:
    taxonomies = []
    for position, code in enumerate(codes):
        taxonomies.append(
            {
                "code": code,
                "desc": None if null_desc and position == 0 else TAXONOMY_DESC[code],
                "license": f"{state[0]}{(index * 7919 + position * 131) % 90000 + 10000}",
                "primary": position == 0,
                "state": state,
                "taxonomy_group": "",
            }
        )
    return taxonomies


def nppes_individual(
    index: int,
    first: str,
    last: str,
    credential: str,
    sex: str,
    taxonomies: list[dict],
    location: dict,
    mailing: dict,
    status: str = "A",
    middle: str | None = None,
) -> dict:
    enumerated, updated = nppes_dates(index)
    basic = {
        "credential": credential,
        "enumeration_date": enumerated,
        "first_name": first.upper(),
        "last_name": last.upper(),
        "last_updated": updated,
        "sex": sex,
        "sole_proprietor": "YES" if index % 4 == 0 else "NO",
        "status": status,
    }
    if index % 3 == 0:
        basic["name_prefix"] = "Dr."
    elif index % 3 == 1:
        basic["name_prefix"] = "--"
    if index % 2 == 0:
        basic["name_suffix"] = "--"
    if middle:
        basic["middle_name"] = middle
    return {
        "addresses": [mailing, location],
        "basic": basic,
        "created_epoch": epoch_ms(enumerated, 50_000 + index * 613),
        "endpoints": [],
        "enumeration_type": "NPI-1",
        "identifiers": [],
        "last_updated_epoch": epoch_ms(updated, 30_000 + index * 457),
        "number": make_npi(index),
        "other_names": [],
        "practiceLocations": [],
        "taxonomies": taxonomies,
    }


def site_location_address(location: dict) -> dict:
    postal = location["zip"] + (location["zip4"] or "")
    return nppes_address(
        "LOCATION",
        location["nppes_street"],
        location["nppes_street2"],
        location["city"].upper(),
        location["state"],
        postal,
        dashed(location["phone"]),
        None,
    )


def build_nppes(sites: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """All NPPES records, and the NPI given to each site physician (keyed by display name)."""
    records: list[dict] = []
    npi_of: dict[str, str] = {}
    index = 0
    for site in sites:
        for physician in site["physicians"]:
            if not physician["taxonomies"]:
                continue
            index += 1
            office = site["locations"][1 if physician["name"] in SECOND_OFFICE else 0]
            location = site_location_address(office)
            if index % 3 == 0:
                mailing = nppes_address(
                    "MAILING",
                    f"PO BOX {5000 + index * 17}",
                    None,
                    "DALLAS",
                    "TX",
                    "752650" + f"{index:03d}",
                    None,
                    None,
                )
            else:
                mailing = dict(location, address_purpose="MAILING")
            credential = (
                ".".join(physician["credentials"][0]) + "."
                if index % 2
                else physician["credentials"][0]
            )
            records.append(
                nppes_individual(
                    index,
                    physician["first"],
                    physician["last"],
                    credential,
                    physician["sex"],
                    nppes_taxonomies(
                        physician["taxonomies"],
                        office["state"],
                        index,
                        physician.get("null_desc", False),
                    ),
                    location,
                    mailing,
                    middle="J" if index % 5 == 0 else None,
                )
            )
            npi_of[physician["name"]] = records[-1]["number"]
    for extra in NPPES_ONLY:
        index += 1
        location = nppes_address(
            "LOCATION",
            extra["street"],
            extra["street2"],
            extra["city"],
            extra["state"],
            extra["zip"] + (extra["zip4"] or ""),
            extra["phone"],
            None,
        )
        mailing = dict(location, address_purpose="MAILING")
        sex = "" if extra["last"] == "Fairbanks" else extra["sex"]
        records.append(
            nppes_individual(
                index,
                extra["first"],
                extra["last"],
                extra["credential"],
                sex,
                nppes_taxonomies(extra["taxonomies"], extra["state"], index),
                location,
                mailing,
            )
        )
    # A dermatologist whose NPI was deactivated (retired). See the README about status "D".
    index += 1
    location = nppes_address(
        "LOCATION", "3050 ROSWELL BRIAR RD NE", None, "ATLANTA", "GA", "30305", "404-555-0115", None
    )
    records.append(
        nppes_individual(
            index,
            "Roland",
            "Pierce",
            "M.D.",
            "M",
            nppes_taxonomies(["207N00000X"], "GA", index),
            location,
            dict(location, address_purpose="MAILING"),
            status="D",
        )
    )
    # A nurse practitioner with a plastic-surgery nursing taxonomy: not a physician.
    index += 1
    pearl = next(s for s in sites if s["slug"] == "pearl-street-aesthetics")["locations"][0]
    location = nppes_address(
        "LOCATION",
        "1320 PEARL LANTERN ST",
        "STE 3",
        "BOULDER",
        "CO",
        "80302",
        dashed(pearl["phone"]),
        None,
    )
    records.append(
        nppes_individual(
            index,
            "Brooke",
            "Harlan",
            "APRN, NP",
            "F",
            nppes_taxonomies(["363L00000X", "163WS0121X"], "CO", index),
            location,
            dict(location, address_purpose="MAILING"),
        )
    )
    # The organisation (NPI-2) behind Bayou City Dermatology, mailing to a PO box in another state.
    index += 1
    enumerated, updated = nppes_dates(index)
    bayou = next(s for s in sites if s["slug"] == "bayou-city-dermatology")["locations"][0]
    records.append(
        {
            "addresses": [
                site_location_address(bayou),
                nppes_address(
                    "MAILING", "PO BOX 931207", None, "ATLANTA", "GA", "311931207", None, None
                ),
            ],
            "basic": {
                "authorized_official_first_name": "SAMUEL",
                "authorized_official_last_name": "ADEYEMI",
                "authorized_official_telephone_number": "7135550161",
                "authorized_official_title_or_position": "Medical Director",
                "certification_date": updated,
                "enumeration_date": enumerated,
                "last_updated": updated,
                "organization_name": "BAYOU CITY DERMATOLOGY PLLC",
                "organizational_subpart": "NO",
                "status": "A",
            },
            "created_epoch": epoch_ms(enumerated, 41_000),
            "endpoints": [],
            "enumeration_type": "NPI-2",
            "identifiers": [],
            "last_updated_epoch": epoch_ms(updated, 12_000),
            "number": make_npi(index),
            "other_names": [
                {
                    "code": "3",
                    "organization_name": "BAYOU CITY DERMATOLOGY",
                    "type": "Doing Business As",
                }
            ],
            "practiceLocations": [],
            "taxonomies": [
                {
                    "code": "207N00000X",
                    "desc": "Dermatology",
                    "license": None,
                    "primary": True,
                    "state": None,
                    "taxonomy_group": "193400000X - Multiple Single Specialty Group",
                }
            ],
        }
    )
    return records, npi_of


# ---------------------------------------------------------------- HTML


def page(site: dict, title: str, body: str, depth: int = 0, head_extra: str = "") -> str:
    up = "../" * depth
    links = [f'<a href="{up}index.html">Home</a>']
    for key in site["pages"]:
        if key in NAV_TITLES:
            href, label = NAV_TITLES[key]
            links.append(f'<a href="{up}{href}">{label}</a>')
    if site["robots"]:
        links.append(f'<a href="{up}private/staff-notes.html">Staff portal</a>')
    first = site["locations"][0]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} | {esc(site["name"])}</title>
<style>
body {{ font-family: Georgia, serif; margin: 0; color: #222; }}
header, footer {{ background: {site["accent"]}; color: #fff; padding: 1em 2em; }}
header a, footer a {{ color: #fff; margin-right: 1em; }}
main {{ max-width: 48em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
.person {{ border-top: 1px solid #ddd; padding-top: 1em; }}
</style>
{head_extra}</head>
<body>
<header>
<div class="brand">{esc(site["name"])}</div>
<nav>{" ".join(links)}</nav>
</header>
<main>
{body}
</main>
<footer>
<p>{esc(site["name"])} &middot; {esc(first["city"])}, {esc(first["state"])} &middot; Call <a href="tel:{e164(first["phone"])}">{esc(first["phone"])}</a></p>
<p>&copy; 2026 {esc(site["name"])}. This website is for general information and is not medical advice.</p>
</footer>
</body>
</html>
"""


def jsonld(obj: dict) -> str:
    return '<script type="application/ld+json">\n' + json.dumps(obj, indent=2) + "\n</script>\n"


def postal_address(location: dict) -> dict:
    return {
        "@type": "PostalAddress",
        "streetAddress": location["street"],
        "addressLocality": location["city"],
        "addressRegion": location["state"],
        "postalCode": location["zip"],
        "addressCountry": "US",
    }


def physician_ld(site: dict, physician: dict, npi: str | None) -> dict:
    entry = {
        "@type": "Physician",
        "name": physician["name"],
        "honorificPrefix": "Dr.",
        "honorificSuffix": ", ".join(physician["credentials"]),
        "medicalSpecialty": sorted({SCHEMA_SPECIALTY[s] for s in physician["specialties"]}),
        "worksFor": {"@type": "MedicalClinic", "name": site["name"]},
    }
    if npi and physician["show_npi"]:
        entry["identifier"] = {"@type": "PropertyValue", "propertyID": "NPI", "value": npi}
    return entry


def clinic_ld(site: dict, npi_of: dict[str, str]) -> dict:
    clinic = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": site["name"],
        "telephone": site["locations"][0]["phone"],
        "address": [postal_address(loc) for loc in site["locations"]]
        if len(site["locations"]) > 1
        else postal_address(site["locations"][0]),
        "medicalSpecialty": sorted(
            {SCHEMA_SPECIALTY[s] for p in site["physicians"] for s in p["specialties"]}
        ),
    }
    people = [physician_ld(site, p, npi_of.get(p["name"])) for p in site["physicians"]]
    people += [
        {"@type": "Person", "name": s["name"], "jobTitle": ROLE_TITLE[s["role"]]}
        for s in site["staff"]
    ]
    if people:
        clinic["employee"] = people
    return clinic


def location_html(site: dict, location: dict) -> str:
    phone_link = f'<a href="tel:{e164(location["phone"])}">{esc(location["phone"])}</a>'
    label = esc(location["label"]) if len(site["locations"]) > 1 else esc(site["name"])
    if site["markup"] == "microdata":
        return f"""<div class="location" itemscope itemtype="https://schema.org/MedicalClinic">
<h3 itemprop="name">{label}</h3>
<div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
<span itemprop="streetAddress">{esc(location["street"])}</span><br>
<span itemprop="addressLocality">{esc(location["city"])}</span>, <span itemprop="addressRegion">{location["state"]}</span> <span itemprop="postalCode">{location["zip"]}</span>
</div>
<p>Phone: <span itemprop="telephone">{phone_link}</span></p>
</div>
"""
    return f"""<div class="location">
<h3>{label}</h3>
<p>{esc(location["street"])}<br>{esc(location["city"])}, {location["state"]} {location["zip"]}<br>Phone: {phone_link}</p>
</div>
"""


def person_html(
    site: dict, person: dict, is_physician: bool, depth: int, link_profile: bool
) -> str:
    intro = f"<p>{esc(person['intro'])}</p>\n" if person.get("intro") else ""
    more = ""
    if link_profile and is_physician and person.get("profile"):
        more = f'<p><a href="{"../" * depth}providers/{person_slug(person["name"])}.html">Read more about {esc(person["heading"].replace("Meet ", ""))}</a></p>\n'
    if site["markup"] == "microdata":
        if is_physician:
            specialty = "".join(
                f'<meta itemprop="medicalSpecialty" content="{SCHEMA_SPECIALTY[s]}">'
                for s in sorted(set(person["specialties"]))
            )
            return f"""<div class="person" itemscope itemtype="https://schema.org/Physician">
<h3 itemprop="name">{esc(person["heading"])}</h3>{specialty}
{intro}<p itemprop="description">{esc(person["bio"])}</p>
{more}</div>
"""
        return f"""<div class="person" itemscope itemtype="https://schema.org/Person">
<h3 itemprop="name">{esc(person["heading"])}</h3><meta itemprop="jobTitle" content="{ROLE_TITLE[person["role"]]}">
<p>{esc(person["bio"])}</p>
</div>
"""
    return f"""<div class="person">
<h3>{esc(person["heading"])}</h3>
{intro}<p>{esc(person["bio"])}</p>
{more}</div>
"""


def microneedling_section(site: dict) -> str:
    offer = site["microneedling"]
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in offer["paragraphs"])
    return f"<section>\n<h2>{esc(offer['title'])}</h2>\n{paragraphs}\n</section>\n"


def render_site(site: dict, npi_of: dict[str, str]) -> dict[str, str]:
    """Relative path -> file text for one practice website."""
    files: dict[str, str] = {}
    head = jsonld(clinic_ld(site, npi_of)) if site["markup"] == "jsonld" else ""
    has_team = "team" in site["pages"]
    offer = site["microneedling"]
    offer_page = offer.get("page")

    body = f"<h1>{esc(site['name'])}</h1>\n<p>{esc(site['tagline'])}</p>\n"
    if site["physicians"] or site["staff"]:
        if has_team:
            names = (
                ", ".join(esc(p["heading"].replace("Meet ", "")) for p in site["physicians"])
                or "our licensed team"
            )
            body += (
                f'<p>Our providers include {names}. <a href="team.html">Meet the team</a>.</p>\n'
            )
        else:
            body += "<h2>Our physician</h2>\n" if site["physicians"] else "<h2>Our team</h2>\n"
            for physician in site["physicians"]:
                body += person_html(site, physician, True, 0, False)
            for member in site["staff"]:
                body += person_html(site, member, False, 0, False)
    if offer["status"] and offer_page == "microneedling.html":
        body += f'<p>New: read about <a href="microneedling.html">{esc(offer["title"])}</a>.</p>\n'
    body += "<h2>Visit us</h2>\n" + "".join(location_html(site, loc) for loc in site["locations"])
    files["index.html"] = page(site, "Home", body, head_extra=head)

    if has_team:
        body = (
            "<h1>Our Team</h1>\n<h2>Physicians</h2>\n"
            if site["physicians"]
            else "<h1>Our Team</h1>\n"
        )
        body += "".join(person_html(site, p, True, 0, True) for p in site["physicians"])
        if site["staff"]:
            body += "<h2>Clinical and aesthetic staff</h2>\n"
            body += "".join(person_html(site, s, False, 0, False) for s in site["staff"])
        files["team.html"] = page(site, "Our Team", body, head_extra=head)

    if "profiles" in site["pages"]:
        for physician in site["physicians"]:
            if not physician.get("profile"):
                continue
            npi = npi_of.get(physician["name"])
            offices = [site["locations"][1 if physician["name"] in SECOND_OFFICE else 0]]
            body = f"<h1>{esc(physician['heading'])}</h1>\n<p>{esc(physician['bio'])}</p>\n"
            body += "<h2>Where to see " + esc("Dr. " + physician["last"]) + "</h2>\n"
            body += "".join(location_html(site, loc) for loc in offices)
            if npi and physician["show_npi"]:
                body += f"<p>National Provider Identifier (NPI): {npi}</p>\n"
            ld = ""
            if site["markup"] == "jsonld":
                entry = physician_ld(site, physician, npi)
                entry["@context"] = "https://schema.org"
                entry["address"] = postal_address(offices[0])
                entry["telephone"] = offices[0]["phone"]
                ld = jsonld(entry)
            files[f"providers/{person_slug(physician['name'])}.html"] = page(
                site, physician["heading"], body, depth=1, head_extra=ld
            )

    if "services" in site["pages"]:
        items = []
        for service in site["services"]:
            if (
                offer["status"]
                and offer_page == "microneedling.html"
                and service.lower() in offer["title"].lower()
            ):
                items.append(f'<li><a href="microneedling.html">{esc(service)}</a></li>')
            else:
                items.append(f"<li>{esc(service)}</li>")
        body = "<h1>Services</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>\n"
        if offer_page == "services.html":
            body += microneedling_section(site)
        files["services.html"] = page(site, "Services", body)

    if offer_page == "microneedling.html":
        body = f"<h1>{esc(offer['title'])}</h1>\n" + "\n".join(
            f"<p>{esc(p)}</p>" for p in offer["paragraphs"]
        )
        body += '\n<p><a href="contact.html">Book a consultation</a></p>\n'
        files["microneedling.html"] = page(site, offer["title"], body)

    if offer_page == "faq.html":
        body = "<h1>Frequently asked questions</h1>\n<h2>Do you take my insurance?</h2>\n"
        body += "<p>We accept most major plans. Please call the office to check yours.</p>\n"
        body += "<h2>Do you do cosmetic treatments?</h2>\n" + "\n".join(
            f"<p>{esc(p)}</p>" for p in offer["paragraphs"]
        )
        files["faq.html"] = page(site, "FAQ", body)

    if "blog" in site["pages"]:
        post = offer_page.split("/", 1)[1]
        files["blog/index.html"] = page(
            site,
            "Blog",
            f'<h1>Blog</h1>\n<ul>\n<li><a href="{post}">{esc(offer["title"])}</a> (March 2026)</li>\n'
            "<li>Sunscreen myths, answered (January 2026)</li>\n</ul>\n",
            depth=1,
        )
        body = f"<article>\n<h1>{esc(offer['title'])}</h1>\n<p>Posted March 3, 2026</p>\n"
        body += "\n".join(f"<p>{esc(p)}</p>" for p in offer["paragraphs"]) + "\n</article>\n"
        files[offer_page] = page(site, offer["title"], body, depth=1)

    if "contact" in site["pages"]:
        body = "<h1>Contact and locations</h1>\n" + "".join(
            location_html(site, loc) for loc in site["locations"]
        )
        body += "<p>Office hours: Monday to Friday, 8 a.m. to 5 p.m.</p>\n"
        files["contact.html"] = page(site, "Contact", body)

    if site["robots"]:
        files["robots.txt"] = "User-agent: *\nDisallow: /private/\n"
        trap = (
            '<h1>Staff notes</h1>\n<div class="person">\n<h3>Dr. Robot Trap, MD, FAAD</h3>\n'
            "<p>Dr. Robot Trap performs microneedling every day; microneedling sessions from $1.</p>\n</div>\n"
            "<p>Robot Trap Dermatology, 1 Nowhere Lane, Austin, TX 78701, (512) 555-0100.</p>\n"
        )
        files["private/staff-notes.html"] = page(site, "Staff notes", trap, depth=1)
    elif SITES.index(site) % 2 == 0:
        files["robots.txt"] = "User-agent: *\nDisallow:\n"
    return files


def stated_offices(site: dict, physician: dict) -> list[dict]:
    """The offices the site names for a physician: their profile's "Where to see", or the office
    their bio names; every office when the site says neither."""
    office = site["locations"][1 if physician["name"] in SECOND_OFFICE else 0]
    if len(site["locations"]) == 1 or physician.get("profile"):
        return [office]
    if office["city"] in physician["bio"] or office.get("label", "") in physician["bio"]:
        return [office]
    return list(site["locations"])


def truth_entry(site: dict, npi_of: dict[str, str]) -> dict:
    offer = site["microneedling"]
    return {
        "slug": site["slug"],
        "practice_name": site["name"],
        "kind": site["kind"],
        "locations": [
            {
                "street": loc["street"],
                "city": loc["city"],
                "state": loc["state"],
                "postal_code": loc["zip"],
                "phone_e164": e164(loc["phone"]),
            }
            for loc in site["locations"]
        ],
        "physicians": [
            {
                "name": p["name"],
                "credentials": p["credentials"],
                "specialties": p["specialties"],
                "npi": npi_of.get(p["name"]),
                # the ZIPs of the offices the site says they work at (all, when it does not say)
                "postal_codes": [loc["zip"] for loc in stated_offices(site, p)],
            }
            for p in site["physicians"]
        ],
        "non_physician_staff": [{"name": s["name"], "role": s["role"]} for s in site["staff"]],
        "offers_microneedling": offer["status"],
        "evidence_phrases": offer.get("evidence", []),
        "price": offer.get("price"),
        "robots_disallowed_paths": site["robots"],
    }


def main() -> None:
    records, npi_of = build_nppes(SITES)
    sites_dir = ROOT / "sites"
    if sites_dir.exists():
        shutil.rmtree(sites_dir)
    for site in SITES:
        for relative, text in render_site(site, npi_of).items():
            target = sites_dir / site["slug"] / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    truth = {"sites": [truth_entry(site, npi_of) for site in SITES]}
    (ROOT / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    (ROOT / "nppes.json").write_text(
        json.dumps(records, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"{len(SITES)} sites, {len(records)} NPPES records")


if __name__ == "__main__":
    main()
