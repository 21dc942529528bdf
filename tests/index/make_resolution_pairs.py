"""Writes tests/index/resolution_pairs.json: the labelled record pairs behind the resolution quality test.

Run `.venv/bin/python -m tests.index.make_resolution_pairs` after editing the cases below. Every label
is set here, by construction (the case says who the two records belong to); the resolver is never run
to decide a label. Hand-written cases come first; the templated ones use a seeded RNG so the file is
reproducible. Each pair gets its own phones, ZIP codes, streets, websites and NPIs, so that in the
whole-set test no two pairs can share a linking key. All people, phones (555-01xx), streets and
`.test` websites are fictional; the ZIP codes are real so the places exist.
"""

from __future__ import annotations

import json
import random
import re
from itertools import count
from pathlib import Path

import zipcodes

OUT = Path(__file__).resolve().parent / "resolution_pairs.json"
SEED = 20261125
FETCHED = "2026-11-01T10:00:00Z"
SUFFIX_WORDS = {"Jr.", "Sr.", "II", "III", "IV", "Jr", "Sr"}

METROS = [
    ("Austin", "TX"),
    ("Houston", "TX"),
    ("Dallas", "TX"),
    ("San Antonio", "TX"),
    ("Miami", "FL"),
    ("Tampa", "FL"),
    ("Orlando", "FL"),
    ("Los Angeles", "CA"),
    ("San Diego", "CA"),
    ("Sacramento", "CA"),
    ("Chicago", "IL"),
    ("Phoenix", "AZ"),
    ("Denver", "CO"),
    ("Atlanta", "GA"),
    ("Seattle", "WA"),
    ("Brooklyn", "NY"),
]
AREA_CODES = ["512", "713", "214", "210", "305", "813", "407", "213", "619", "916", "312", "602"]
STREET_NAMES = [
    "Congress",
    "Lamar",
    "Westheimer",
    "Brickell",
    "Kirby",
    "Sunset",
    "Camelback",
    "Peachtree",
    "Colfax",
    "Pine",
    "Magnolia",
    "Cedar",
    "Harbor",
    "Mesa",
    "Willow",
    "Lakeview",
]
STREET_KINDS = [("Avenue", "Ave"), ("Street", "St"), ("Boulevard", "Blvd"), ("Road", "Rd")]


# --- per-pair resources: unique across the whole file -------------------------------------------


class Resources:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phone_numbers = count()
        self.npi_numbers = count(1)
        self.used_zips: set[str] = set()
        self.zip_pools = {
            metro: [
                z
                for z in zipcodes.filter_by(city=metro[0], state=metro[1])
                if z["zip_code_type"] == "STANDARD"
            ]
            for metro in METROS
        }

    def phone(self) -> str:
        n = next(self.phone_numbers)
        return f"+1{AREA_CODES[n // 100]}55501{n % 100:02d}"

    def npi(self) -> str:
        body = f"1{800000000 - 7919 * next(self.npi_numbers):09d}"[:9]
        return body + str(luhn_check_digit(body))

    def zip_in(self, metro: tuple[str, str]) -> dict:
        pool = [z for z in self.zip_pools[metro] if z["zip_code"] not in self.used_zips]
        chosen = self.rng.choice(pool)
        self.used_zips.add(chosen["zip_code"])
        return chosen


def luhn_check_digit(body9: str) -> int:
    """NPI check digit: Luhn over the 80840 prefix plus the first nine digits."""
    total = 24  # the constant contribution of the 80840 prefix
    for position, char in enumerate(reversed(body9)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10


class PairContext:
    """Symbols in a case ("P1", "Z2", "S1", "N1", "T1", "T1v") mapped to this pair's own values."""

    def __init__(self, res: Resources, number: int, metro: tuple[str, str]) -> None:
        self.res, self.number, self.metro = res, number, metro
        self.values: dict[str, object] = {}
        other = [m for m in METROS if m[1] != metro[1]]
        self.far_metro = res.rng.choice(other)
        self.street_name = res.rng.choice(STREET_NAMES)
        self.kind = res.rng.choice(STREET_KINDS)

    def get(self, symbol: str):
        if symbol in self.values:
            return self.values[symbol]
        head = symbol[0]
        if head == "P":
            value = self.res.phone()
        elif head == "N":
            value = self.res.npi()
        elif head == "Z":
            value = self.res.zip_in(self.far_metro if symbol.endswith("far") else self.metro)
        elif head == "S":
            value = f"https://{self.slug()}-{self.number}-{symbol[1:].lower()}.test/"
        elif head == "T":
            value = self.street(symbol)
        else:
            raise ValueError(symbol)
        self.values[symbol] = value
        return value

    def slug(self) -> str:
        return self.street_name.lower() + "-skin"

    def street(self, symbol: str) -> str:
        # T1 and T1v are the same address written two ways; T2 is a different address.
        base = symbol.rstrip("v")
        number = 100 + 37 * self.number + int(base[1:] or 1)
        suite = 100 + 10 * int(base[1:] or 1)
        long_kind, short_kind = self.kind
        if symbol.endswith("v"):
            return f"{number} {self.street_name} {short_kind}., Ste. {suite}"
        return f"{number} {self.street_name} {long_kind}, Suite {suite}"


# --- observations --------------------------------------------------------------------------------


def split_name(display: str) -> tuple[str, str | None, str, str | None]:
    words = strip_name(display).replace(",", " ").split()
    suffix = words.pop() if words[-1] in SUFFIX_WORDS else None
    first, last = words[0], words[-1]
    middle = " ".join(words[1:-1]) or None
    return first, middle, last, suffix


def observation(ctx: PairContext, side: dict, tag: str) -> dict:
    """One practitioner Observation dict from a compact side spec."""
    source = {"site": "practice_site", "dir": "directory"}.get(side["src"], side["src"])
    display = side["name"]
    if "parts" in side:
        first, middle, last, suffix = side["parts"]
    else:
        first, middle, last, suffix = split_name(display)
    npi = ctx.get(side["npi"]) if side.get("npi") else None
    website = ctx.get(side["site"]) if side.get("site") else None
    locations = []
    for street_sym, zip_sym, phone_sym in side.get("locs", []):
        place = ctx.get(zip_sym)
        locations.append(
            {
                "practice": side.get("practice"),
                "street": ctx.get(street_sym) if street_sym else None,
                "city": place["city"],
                "state": place["state"],
                "postal_code": place["zip_code"],
                "phone": ctx.get(phone_sym) if phone_sym else None,
                "lat": None,
                "lon": None,
            }
        )
    credentials = side.get("creds", ["MD"])
    name_field = display if side.get("raw_name") else strip_name(display)
    key_name = re.sub(r"[^a-z ]", "", strip_name(display).lower())
    if source in ("nppes", "cms"):
        source_key, url = npi, f"https://npiregistry.test/api/?number={npi}"
    elif source == "practice_site":
        source_key = f"{website}#{key_name}"
        url = f"{website}team/{key_name.replace(' ', '-')}.html"
    else:
        url = f"https://findaskindoc.test/listing/{ctx.number}{tag}"
        source_key = f"{url}#{key_name}"
    payload = {
        "name": name_field,
        "first_name": None if side.get("raw_name") else first,
        "middle_name": None if side.get("raw_name") else middle,
        "last_name": None if side.get("raw_name") else last,
        "suffix": None if side.get("raw_name") else suffix,
        "credentials": credentials,
        "npi": npi,
        "specialties": side.get("spec", ["dermatology"]),
        "website": website,
        "locations": locations,
    }
    return {
        "source": source,
        "kind": "practitioner",
        "source_key": source_key,
        "url": url,
        "fetched_at": side.get("at", FETCHED),
        "payload": payload,
    }


def strip_name(display: str) -> str:
    """The display name without a "Dr." or credentials (the contract's `name`)."""
    text = re.sub(r"^Dr\.?\s+", "", display)
    return text.split(",")[0].strip() if "," in text and not text.endswith(".") else text


# --- hand-written cases --------------------------------------------------------------------------
# Side spec: src (nppes|cms|site|dir), name, npi ("N1"), site ("S1"), locs [(street, zip, phone)],
# creds, raw_name (name only, no first/last fields: the resolver parses the display name).


def same(why, a, b):
    return {"why": why, "same_person": True, "a": a, "b": b}


def diff(why, a, b):
    return {"why": why, "same_person": False, "a": a, "b": b}


def hand_cases() -> list[dict]:
    nppes = "nppes"
    return [
        # --- same person ---------------------------------------------------------------------
        same(
            "Bob on the practice site is Robert in the registry; same office phone",
            {
                "src": nppes,
                "name": "Robert Alan Whitfield",
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": "site", "name": "Bob Whitfield", "site": "S1", "locs": [("T1v", "Z1", "P1")]},
        ),
        same(
            "Kate in the registry, Katherine on her site; same suite written two ways",
            {"src": nppes, "name": "Kate Morrow", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "site",
                "name": "Katherine Morrow",
                "site": "S1",
                "locs": [("T1v", "Z1", "P2")],
            },
        ),
        same(
            "Katie on the practice directory, Katherine on the site, same phone",
            {"src": "dir", "name": "Katie Lindgren", "site": "S1", "locs": [(None, "Z1", "P1")]},
            {
                "src": "site",
                "name": "Katherine Lindgren",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        same(
            "Liz in a directory, Elizabeth in the registry; only the ZIP ties them",
            {"src": "dir", "name": "Liz Okonkwo", "locs": [(None, "Z1", None)]},
            {"src": nppes, "name": "Elizabeth Okonkwo", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "Beth on the site, Elizabeth in the CMS file (with NPI); same phone",
            {"src": "site", "name": "Beth Harrington", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "cms",
                "name": "Elizabeth Harrington",
                "npi": "N1",
                "locs": [("T1v", "Z1", "P1")],
            },
        ),
        same(
            "middle name in the registry, none on the site",
            {
                "src": nppes,
                "name": "Robert James Stoneham",
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": "site", "name": "Robert Stoneham", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "directory gives only a display name with a middle initial and credentials",
            {
                "src": "dir",
                "name": "Dr. Ana M. Castellanos, MD, FAAD",
                "raw_name": True,
                "locs": [(None, "Z1", "P1")],
            },
            {"src": nppes, "name": "Ana Castellanos", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "Jr. in the registry, dropped on the practice site",
            {
                "src": nppes,
                "name": "William Hartley Jr.",
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": "site", "name": "William Hartley", "site": "S1", "locs": [("T1v", "Z1", "P1")]},
        ),
        same(
            "Thomas Reedy III in the registry is Tom Reedy on the site; same street",
            {"src": nppes, "name": "Thomas Reedy III", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Tom Reedy", "site": "S1", "locs": [("T1v", "Z1", "P2")]},
        ),
        same(
            "hyphenated surname written with a space in the registry",
            {
                "src": "site",
                "name": "Maria Lopez-Hartman",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
            {
                "src": nppes,
                "name": "Maria Lopez Hartman",
                "parts": ("Maria", None, "Lopez Hartman", None),
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        same(
            "hyphenated surname on the site, only the second half in the registry",
            {
                "src": "site",
                "name": "Maria Lopez-Brandt",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": nppes, "name": "Maria Brandt", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "maiden name kept in the registry, married double name on the site",
            {"src": nppes, "name": "Jennifer Walshe", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "site",
                "name": "Jennifer Walshe-Brennan",
                "site": "S1",
                "locs": [("T1v", "Z1", "P1")],
            },
        ),
        same(
            "married name on the site, maiden name in a directory, same practice phone",
            {"src": "dir", "name": "Sofia Marchetti", "site": "S1", "locs": [(None, "Z1", "P1")]},
            {"src": "site", "name": "Sofia Delacroix", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "moved offices: directory still lists the old office, the site the new one, same website",
            {"src": "dir", "name": "Nadia Petrov", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Nadia Petrov", "site": "S1", "locs": [("T2", "Z2", "P2")]},
        ),
        same(
            "moved offices, registry updated: CMS has the old ZIP, NPPES the new; same NPI",
            {"src": "cms", "name": "Gregory Albers", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "Gregory Albers", "npi": "N1", "locs": [("T2", "Z2", "P2")]},
        ),
        same(
            "registry profile with NPI, site profile without; suite formatting differs, phones differ",
            {"src": nppes, "name": "Harold Fenwick", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Harold Fenwick", "site": "S1", "locs": [("T1v", "Z1", "P2")]},
        ),
        same(
            "typo in the surname on the directory (transposed letters)",
            {"src": "dir", "name": "Katherine Montgomrey", "locs": [(None, "Z1", "P1")]},
            {
                "src": "site",
                "name": "Katherine Montgomery",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        same(
            "first name spelled Johnathan in a directory, Jonathan on the site",
            {"src": "dir", "name": "Johnathan Abernathy", "locs": [(None, "Z1", "P1")]},
            {
                "src": "site",
                "name": "Jonathan Abernathy",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        same(
            "credentials in a different order",
            {
                "src": "dir",
                "name": "Ana Ruizcastro, MD, FAAD",
                "raw_name": True,
                "creds": ["MD", "FAAD"],
                "locs": [(None, "Z1", "P1")],
            },
            {
                "src": "site",
                "name": "Ana Ruizcastro, FAAD, MD",
                "raw_name": True,
                "creds": ["FAAD", "MD"],
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        same(
            "accents on the site, none in the registry",
            {"src": "site", "name": "José Ramírez", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "JOSE RAMIREZ", "npi": "N1", "locs": [("T1v", "Z1", "P1")]},
        ),
        same(
            "apostrophe surname written without it",
            {"src": "site", "name": "Sean O'Brien", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "SEAN OBRIEN", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "initial only on a directory card",
            {
                "src": "dir",
                "name": "A. Vasquez-Lee",
                "parts": ("A.", None, "Vasquez-Lee", None),
                "locs": [(None, "Z1", "P1")],
            },
            {
                "src": nppes,
                "name": "Adriana Vasquez-Lee",
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        same(
            "Mac and Mc spellings of one surname",
            {"src": "dir", "name": "Ian McLeod", "locs": [(None, "Z1", "P1")]},
            {"src": "site", "name": "Ian MacLeod", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "surname De La Cruz written as one word in the registry",
            {
                "src": "site",
                "name": "Carmen De La Cruz",
                "parts": ("Carmen", None, "De La Cruz", None),
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": nppes, "name": "CARMEN DELACRUZ", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "two-word first name joined in the registry",
            {
                "src": "site",
                "name": "Mary Ann Thornton",
                "parts": ("Mary Ann", None, "Thornton", None),
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": nppes, "name": "MARYANN THORNTON", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "Libby is short for Elizabeth",
            {"src": "site", "name": "Libby Carver", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "Elizabeth Carver", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "goes by the middle name: R. James Caldwell is James Caldwell",
            {
                "src": nppes,
                "name": "R. James Caldwell",
                "parts": ("R.", "James", "Caldwell", None),
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": "site", "name": "James Caldwell", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "works at two practices; the registry lists only the other one",
            {"src": nppes, "name": "Priya Raman", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Priya Raman", "site": "S1", "locs": [("T2", "Z2", "P2")]},
        ),
        same(
            "uppercase registry name with middle initial, site with title",
            {
                "src": nppes,
                "name": "DANIEL K OYELARAN",
                "parts": ("DANIEL", "K", "OYELARAN", None),
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
            {
                "src": "site",
                "name": "Dr. Daniel Oyelaran",
                "raw_name": True,
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        same(
            "same NPI in the registry and the CMS file, names formatted differently",
            {
                "src": nppes,
                "name": "MICHAEL T FERREIRA",
                "parts": ("MICHAEL", "T", "FERREIRA", None),
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": "cms", "name": "Mike Ferreira", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "Bill on a directory, William on the site, only the site phone shared",
            {"src": "dir", "name": "Bill Osterman", "locs": [(None, "Z1", "P1")]},
            {"src": "site", "name": "William Osterman", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "Jim and James, same street, different suite formatting",
            {"src": "dir", "name": "Jim Kowalczyk", "locs": [("T1v", "Z1", None)]},
            {"src": nppes, "name": "James Kowalczyk", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "Steve and Stephen (variant spelling of Steven)",
            {"src": "site", "name": "Steve Abernethy", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "Stephen Abernethy", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "Catherine with a C in the registry, Kathy on the site",
            {"src": nppes, "name": "Catherine Dunleavy", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Kathy Dunleavy", "site": "S1", "locs": [("T1v", "Z1", "P1")]},
        ),
        same(
            "two locations on the site, one of them in the registry",
            {
                "src": "site",
                "name": "Olivia Brandstetter",
                "site": "S1",
                "locs": [("T1", "Z1", "P1"), ("T2", "Z2", "P2")],
            },
            {
                "src": nppes,
                "name": "Olivia Brandstetter",
                "npi": "N1",
                "locs": [("T2", "Z2", "P3")],
            },
        ),
        same(
            "a directory card links to the practice website; different phone, same ZIP",
            {"src": "dir", "name": "Lena Sorensen", "site": "S1", "locs": [(None, "Z1", "P2")]},
            {"src": "site", "name": "Lena Sorensen", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        same(
            "Ted is Edward",
            {"src": "site", "name": "Ted Vanderhoek", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "Edward Vanderhoek", "npi": "N1", "locs": [("T1v", "Z1", "P2")]},
        ),
        same(
            "suffix II on the site, none in a directory",
            {
                "src": "site",
                "name": "Charles Whitmore II",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": "dir", "name": "Charles Whitmore", "locs": [(None, "Z1", "P1")]},
        ),
        same(
            "PA-C listed on the site and in the registry (not a physician, still one person)",
            {
                "src": "site",
                "name": "Renee Albright",
                "creds": ["PA-C"],
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
            {
                "src": nppes,
                "name": "Renee Albright",
                "creds": ["PA-C"],
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        same(
            "dropped letter in the first name on a directory",
            {"src": "dir", "name": "Cristopher Haldane", "locs": [(None, "Z1", "P1")]},
            {
                "src": nppes,
                "name": "Christopher Haldane",
                "npi": "N1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        # --- different people ----------------------------------------------------------------
        diff(
            "same name, different city",
            {"src": "site", "name": "Michael Chen", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Michael Chen", "site": "S2", "locs": [("T2", "Zfar", "P2")]},
        ),
        diff(
            "same name in the registry twice: two NPIs",
            {"src": nppes, "name": "David Kim", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "David Kim", "npi": "N2", "locs": [("T2", "Z1", "P2")]},
        ),
        diff(
            "father and son, same name, same practice site and phone; the son is Jr.",
            {"src": "site", "name": "Robert Stanton", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "site",
                "name": "Robert Stanton Jr.",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        diff(
            "father Sr. and son Jr. at one practice",
            {"src": "site", "name": "Richard Hale Sr.", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Richard Hale Jr.", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "father Sr. in the registry, son Jr. on the shared practice site",
            {"src": nppes, "name": "Richard Okafor Sr.", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "site",
                "name": "Richard Okafor Jr.",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        diff(
            "father and son both in the registry with their own NPIs, same address",
            {"src": nppes, "name": "George Pappas", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "George Pappas Jr.", "npi": "N2", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "grandfather and grandson: II and III on one site",
            {"src": "site", "name": "Henry Lyle II", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Henry Lyle III", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "spouses sharing one practice phone: Ana and Alex",
            {"src": "site", "name": "Ana Ruizvega", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Alex Ruizvega", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "Daniel and Danielle share the practice phone",
            {"src": "site", "name": "Daniel Parkhurst", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "site",
                "name": "Danielle Parkhurst",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        diff(
            "Paul and Paula, siblings at one practice; one seen through a directory",
            {"src": "dir", "name": "Paul Moreno", "locs": [(None, "Z1", "P1")]},
            {"src": "site", "name": "Paula Moreno", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "Eric in the registry, Erica on the site, same phone",
            {"src": nppes, "name": "Eric Lindqvist", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Erica Lindqvist", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "twins at one practice: Daniel and David",
            {"src": "site", "name": "Daniel Achebe", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "David Achebe", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "twins at one practice: Lena and Lina",
            {"src": "site", "name": "Lena Haddad", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Lina Haddad", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "twins: Mark and Mike, same building",
            {"src": "site", "name": "Mark Sorensen", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "dir", "name": "Mike Sorensen", "locs": [("T1v", "Z1", None)]},
        ),
        diff(
            "common name, same ZIP, different practices and phones",
            {"src": "site", "name": "Jennifer Nguyen", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Jennifer Nguyen", "site": "S2", "locs": [("T2", "Z1", "P2")]},
        ),
        diff(
            "same name, same ZIP, both with NPIs",
            {"src": "cms", "name": "Sarah Goldberg", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": nppes, "name": "Sarah Goldberg", "npi": "N2", "locs": [("T2", "Z1", "P2")]},
        ),
        diff(
            "married couple, same phone: Samuel and Sarah",
            {"src": "site", "name": "Samuel Feldstein", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Sarah Feldstein", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "Francis and Frances at one practice",
            {"src": "site", "name": "Francis Doyle", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Frances Doyle", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "maiden name coincidence: Maria Lopez elsewhere, Maria Lopez-Hart here",
            {"src": "site", "name": "Maria Lopez", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "site",
                "name": "Maria Lopez-Hart",
                "site": "S2",
                "locs": [("T2", "Zfar", "P2")],
            },
        ),
        diff(
            "same surname, different first names, registry vs site, same phone",
            {"src": nppes, "name": "Thomas Achterberg", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "site",
                "name": "Theresa Achterberg",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        diff(
            "Gabriel and Gabrielle on one site",
            {"src": "site", "name": "Gabriel Fontaine", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {
                "src": "site",
                "name": "Gabrielle Fontaine",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        diff(
            "Robert and Roberta: directory and site share the phone",
            {"src": "dir", "name": "Robert Castellano", "locs": [(None, "Z1", "P1")]},
            {
                "src": "site",
                "name": "Roberta Castellano",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
        ),
        diff(
            "two NPIs with the same name at one practice address",
            {"src": "cms", "name": "John Carter", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": "cms", "name": "John Carter", "npi": "N2", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "same name, different suites in one medical tower, different sites and phones",
            {"src": "site", "name": "Andrew Patel", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Andrew Patel", "site": "S2", "locs": [("T2", "Z1", "P2")]},
        ),
        diff(
            "same surname and initial, different full first names on one site",
            {"src": "site", "name": "Jonas Whitaker", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Joanna Whitaker", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "same name in two states, both only ZIP on directories",
            {"src": "dir", "name": "Emily Tran", "locs": [(None, "Z1", None)]},
            {"src": "dir", "name": "Emily Tran", "locs": [(None, "Zfar", None)]},
        ),
        diff(
            "Louis and Louise share a phone",
            {"src": "site", "name": "Louis Beaumont", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Louise Beaumont", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "different surnames, same practice phone and first name",
            {"src": "site", "name": "Laura Bennett", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Laura Barnett", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "Justin and Justine, registry and site",
            {"src": nppes, "name": "Justin Marlowe", "npi": "N1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Justine Marlowe", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "same first and last name, son III at the father's practice, both site pages",
            {
                "src": "site",
                "name": "Walter Brennan III",
                "site": "S1",
                "locs": [("T1", "Z1", "P1")],
            },
            {"src": "site", "name": "Walter Brennan", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
        diff(
            "Christopher and Christina share a phone",
            {"src": "site", "name": "Chris Okafor", "site": "S1", "locs": [("T1", "Z1", "P1")]},
            {"src": "site", "name": "Christina Okafor", "site": "S1", "locs": [("T1", "Z1", "P1")]},
        ),
    ]


# --- templated cases (labels by construction) ----------------------------------------------------

FORMAL_NICK = [
    ("Robert", "Bob"),
    ("Robert", "Rob"),
    ("William", "Bill"),
    ("William", "Will"),
    ("Elizabeth", "Liz"),
    ("Elizabeth", "Beth"),
    ("Katherine", "Kate"),
    ("Katherine", "Katie"),
    ("James", "Jim"),
    ("Michael", "Mike"),
    ("Richard", "Rick"),
    ("Thomas", "Tom"),
    ("Joseph", "Joe"),
    ("Christopher", "Chris"),
    ("Margaret", "Maggie"),
    ("Patricia", "Patty"),
    ("Jennifer", "Jenny"),
    ("Anthony", "Tony"),
    ("Andrew", "Andy"),
    ("Daniel", "Dan"),
]
FIRSTS = [
    "Ana",
    "Priya",
    "Marcus",
    "Helen",
    "Omar",
    "Grace",
    "Victor",
    "Ingrid",
    "Tariq",
    "Yuki",
    "Noah",
    "Camila",
    "Femi",
    "Rachel",
    "Diego",
    "Hannah",
    "Arjun",
    "Leah",
    "Ravi",
    "Sonia",
]
LASTS = [
    "Whitcombe",
    "Castellanos",
    "Nakamura",
    "Oyelaran",
    "Brandvold",
    "Farrington",
    "Hollister",
    "Kaczmarek",
    "Lindholm",
    "Mbeki",
    "Ostrowski",
    "Pemberton",
    "Quintero",
    "Rasmussen",
    "Szymanski",
    "Thackeray",
    "Underwood",
    "Valdivia",
    "Wexford",
    "Zimmerman",
    "Abernathy",
    "Bellweather",
    "Delgado",
    "Esposito",
    "Galloway",
    "Hadley",
    "Iverson",
    "Jablonski",
    "Kingsley",
    "Montalvo",
]
# Different people who can share a practice and a surname: first names that look alike.
LOOKALIKE_FIRSTS = [
    ("Daniel", "Danielle"),
    ("Paul", "Paula"),
    ("Eric", "Erica"),
    ("Francis", "Frances"),
    ("Gabriel", "Gabrielle"),
    ("Louis", "Louise"),
    ("Justin", "Justine"),
    ("Carl", "Carla"),
    ("Dean", "Deanna"),
    ("Joseph", "Josephine"),
    ("Adrian", "Adriana"),
    ("Nicholas", "Nicole"),
    ("Mark", "Maria"),
    ("Sara", "Sean"),
    ("Alan", "Alana"),
]
FATHER_FIRSTS = [
    "Robert",
    "William",
    "James",
    "Richard",
    "Thomas",
    "Joseph",
    "Marcus",
    "Victor",
    "Omar",
]
SUFFIX_PAIRS = [(None, "Jr."), ("Sr.", "Jr."), (None, "III"), ("II", "III"), (None, "II")]
SPECIALTIES = [
    ["dermatology"],
    ["plastic-surgery"],
    ["facial-plastic-surgery"],
    ["dermatology", "mohs-surgery"],
]


def with_suffix(name: str, suffix: str | None) -> str:
    return f"{name} {suffix}" if suffix else name


def typo(rng: random.Random, word: str) -> str:
    """A realistic slip: two neighbouring letters swapped or one letter dropped (never the first)."""
    i = rng.randrange(2, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def templated_cases(rng: random.Random, how_many: int) -> list[dict]:
    cases = []
    kinds = [
        "nickname",
        "same-name-far",
        "lookalike-shared-phone",
        "moved-office",
        "npi-vs-site",
        "father-son",
        "typo",
        "two-npis",
        "twins",
        "suffix-dropped",
    ]
    for n in range(how_many):
        kind = kinds[n % len(kinds)]
        last = rng.choice(LASTS)
        spec = rng.choice(SPECIALTIES)
        first = rng.choice(FIRSTS)
        registry = rng.choice(["nppes", "cms"])
        shared = rng.choice(["phone", "street"])
        loc_a = ("T1", "Z1", "P1")
        loc_b = ("T1v", "Z1", "P1") if shared == "street" else (None, "Z1", "P1")
        if shared == "street":
            loc_b = ("T1v", "Z1", "P2")
        if kind == "nickname":
            formal, nick = rng.choice(FORMAL_NICK)
            cases.append(
                same(
                    f"{nick} is {formal}; shared {shared}",
                    {
                        "src": registry,
                        "name": f"{formal} {last}",
                        "npi": "N1",
                        "locs": [loc_a],
                        "spec": spec,
                    },
                    {
                        "src": rng.choice(["site", "dir"]),
                        "name": f"{nick} {last}",
                        "site": "S1",
                        "locs": [loc_b],
                        "spec": spec,
                    },
                )
            )
        elif kind == "same-name-far":
            cases.append(
                diff(
                    "same name, practices in different states",
                    {
                        "src": rng.choice(["site", registry]),
                        "name": f"{first} {last}",
                        "npi": "N1",
                        "site": "S1",
                        "locs": [loc_a],
                    },
                    {
                        "src": rng.choice(["site", "dir"]),
                        "name": f"{first} {last}",
                        "site": "S2",
                        "locs": [("T2", "Zfar", "P2")],
                    },
                )
            )
        elif kind == "lookalike-shared-phone":
            one, two = rng.choice(LOOKALIKE_FIRSTS)
            cases.append(
                diff(
                    f"{one} and {two} {last} share the practice phone",
                    {
                        "src": rng.choice(["site", registry]),
                        "name": f"{one} {last}",
                        "npi": "N1",
                        "site": "S1",
                        "locs": [loc_a],
                    },
                    {
                        "src": "site",
                        "name": f"{two} {last}",
                        "site": "S1",
                        "locs": [("T1", "Z1", "P1")],
                    },
                )
            )
        elif kind == "moved-office":
            cases.append(
                same(
                    "moved offices (new ZIP and phone); the directory card and the site share the website",
                    {
                        "src": "dir",
                        "name": f"{first} {last}",
                        "site": "S1",
                        "locs": [("T1", "Z1", "P1")],
                        "at": "2025-03-01T10:00:00Z",
                    },
                    {
                        "src": "site",
                        "name": f"Dr. {first} {last}",
                        "site": "S1",
                        "locs": [("T2", "Z2", "P2")],
                    },
                )
            )
        elif kind == "npi-vs-site":
            middle = rng.choice(["A", "M", "J", "K", "L"])
            cases.append(
                same(
                    "registry record (uppercase, middle initial) and the site profile without an NPI",
                    {
                        "src": "nppes",
                        "name": f"{first.upper()} {middle} {last.upper()}",
                        "npi": "N1",
                        "locs": [("T1", "Z1", "P2")],
                        "spec": spec,
                    },
                    {
                        "src": "site",
                        "name": f"{first} {last}",
                        "site": "S1",
                        "locs": [("T1v", "Z1", "P1")],
                        "spec": spec,
                    },
                )
            )
        elif kind == "father-son":
            older, younger = rng.choice(SUFFIX_PAIRS)
            formal = rng.choice(FATHER_FIRSTS)
            cases.append(
                diff(
                    f"father and son at one practice ({older or 'no suffix'} / {younger})",
                    {
                        "src": "site",
                        "name": with_suffix(f"{formal} {last}", older),
                        "site": "S1",
                        "locs": [loc_a],
                    },
                    {
                        "src": "site",
                        "name": with_suffix(f"{formal} {last}", younger),
                        "site": "S1",
                        "locs": [("T1", "Z1", "P1")],
                    },
                )
            )
        elif kind == "typo":
            cases.append(
                same(
                    "surname mistyped on a directory card",
                    {
                        "src": "dir",
                        "name": f"{first} {typo(rng, last)}",
                        "locs": [(None, "Z1", "P1")],
                    },
                    {
                        "src": rng.choice(["site", registry]),
                        "name": f"{first} {last}",
                        "npi": "N1",
                        "site": "S1",
                        "locs": [loc_a],
                    },
                )
            )
        elif kind == "two-npis":
            cases.append(
                diff(
                    "two registry records, same name and ZIP, different NPIs",
                    {"src": registry, "name": f"{first} {last}", "npi": "N1", "locs": [loc_a]},
                    {
                        "src": "nppes",
                        "name": f"{first} {last}",
                        "npi": "N2",
                        "locs": [("T2", "Z1", "P2")],
                    },
                )
            )
        elif kind == "twins":
            one, two = rng.sample(FIRSTS, 2)
            cases.append(
                diff(
                    f"twins {one} and {two} at one practice",
                    {"src": "site", "name": f"{one} {last}", "site": "S1", "locs": [loc_a]},
                    {
                        "src": rng.choice(["site", "dir"]),
                        "name": f"{two} {last}",
                        "site": "S1",
                        "locs": [("T1", "Z1", "P1")],
                    },
                )
            )
        else:  # suffix-dropped
            suffix = rng.choice(["Jr.", "III", "II"])
            cases.append(
                same(
                    f"{suffix} in the registry, dropped on the site",
                    {
                        "src": registry,
                        "name": f"{first} {last} {suffix}",
                        "npi": "N1",
                        "locs": [loc_a],
                    },
                    {"src": "site", "name": f"{first} {last}", "site": "S1", "locs": [loc_b]},
                )
            )
    return cases


def build() -> dict:
    rng = random.Random(SEED)
    res = Resources(rng)
    pairs = []
    for origin, cases in (("hand", hand_cases()), ("generated", templated_cases(rng, 150))):
        for case in cases:
            number = len(pairs) + 1
            ctx = PairContext(res, number, rng.choice(METROS))
            # An NPI on a practice-site or directory side is never real: the template only gives it
            # to registry sides.
            for side in (case["a"], case["b"]):
                if side["src"] in ("site", "dir"):
                    side.pop("npi", None)
                elif side["src"] in ("nppes", "cms"):
                    side.pop("site", None)
            pairs.append(
                {
                    "id": f"pair-{number:03d}",
                    "origin": origin,
                    "same_person": case["same_person"],
                    "why": case["why"],
                    "a": observation(ctx, case["a"], "a"),
                    "b": observation(ctx, case["b"], "b"),
                }
            )
    return {
        "about": (
            "Labelled practitioner observation pairs for entity resolution (fictional people, "
            "555-01xx phones, .test sites, real ZIP codes). Labels are set by construction in "
            "tests/index/make_resolution_pairs.py, never by running the resolver: 'hand' pairs are "
            "written case by case; 'generated' pairs come from templates with a seeded RNG "
            f"(seed {SEED}) whose template decides who is the same person. Every pair has its own "
            "phones, ZIPs, streets, websites and NPIs, so pairs cannot link to each other."
        ),
        "pairs": pairs,
    }


def render(data: dict) -> str:
    """The file's text: one pair per line, so a review diff shows whole cases."""
    lines = [json.dumps(pair, ensure_ascii=False, sort_keys=True) for pair in data["pairs"]]
    about = json.dumps(data["about"], ensure_ascii=False)
    return '{"about": ' + about + ',\n "pairs": [\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    data = build()
    OUT.write_text(render(data), encoding="utf-8")
    hand = sum(p["origin"] == "hand" for p in data["pairs"])
    print(f"wrote {len(data['pairs'])} pairs ({hand} hand-written) to {OUT}")


if __name__ == "__main__":
    main()
