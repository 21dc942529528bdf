"""A practice website read in full: every page's facts folded into one `SiteState`, then one practice
item and one item per physician, each physician with the microneedling status and evidence the
site's statements give them (crawler/extract/scope.py). Pure (no I/O, no Scrapy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from crawler.extract.contact import merge_addresses, same_place
from crawler.extract.evidence import rank_evidence
from crawler.extract.naming import choose_practice_name
from crawler.extract.normalise import name_key, refine_specialties
from crawler.extract.page import PageFacts, read_page_facts
from crawler.extract.people import Person
from crawler.extract.scope import (
    SitePerson,
    person_verdict,
    practice_verdict,
    resolve_reference,
    sort_statements,
)
from crawler.items import PracticeItem, PractitionerItem

STRONG_QUOTE_WORDS = 4
MAX_EVIDENCE = 8  # per item: the best few quotes are what a patient or an admin reads


def _extend_unique(target: list, values) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)


@dataclass
class SiteState:
    """Everything learned about one site so far."""

    root: str
    structured_names: list[str] = field(default_factory=list)
    home_names: list[str] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)
    profile_urls: dict[str, str] = field(default_factory=dict)
    person_specialties: dict[str, list[str]] = field(default_factory=dict)
    person_other_specialty: dict[str, str] = field(default_factory=dict)
    person_notes: dict[str, list[str]] = field(default_factory=dict)
    # (the office a location page is about, the people and "Dr. X" references it names)
    office_pages: list[tuple[dict, list[str], list[str]]] = field(default_factory=list)
    office_labels: list[tuple[dict, str]] = field(default_factory=list)  # (address, its name)
    page_offices: dict[str, dict] = field(default_factory=dict)  # location page URL -> address
    page_leads: dict[str, str] = field(default_factory=dict)  # URL -> heading and first paragraph
    evidence: list[dict] = field(default_factory=list)  # every statement of every page
    specialties: list[str] = field(default_factory=list)
    pages: int = 0
    emitted: bool = False

    def add_person(self, person: Person) -> None:
        if person.key in self.people:
            self.people[person.key].merge(person)
        else:
            self.people[person.key] = person

    def add(self, facts: PageFacts) -> None:
        """Fold one page's facts in (order-independent apart from list order)."""
        for fields in facts.people:
            self.add_person(Person(**fields))
        for key, slugs in facts.person_specialties.items():
            _extend_unique(self.person_specialties.setdefault(key, []), slugs)
        for key, other in facts.person_other_specialty.items():
            self.person_other_specialty.setdefault(key, other)
        for key, note in facts.person_notes.items():
            _extend_unique(self.person_notes.setdefault(key, []), [note])
        _extend_unique(self.structured_names, facts.structured_names)
        _extend_unique(self.home_names, facts.home_names)
        merge_addresses(self.addresses, facts.addresses)
        _extend_unique(self.phones, facts.phones)
        if facts.page_address and facts.page_kind != "home":
            self.page_offices[facts.url] = facts.page_address
            self.office_pages.append(
                (facts.page_address, list(facts.people_here), list(facts.references))
            )
            for label in location_page_names(facts.url, facts.heading):
                self.office_labels.append((facts.page_address, label))
        elif facts.lead and facts.page_kind not in ("home", "article", "faq"):
            self.page_leads[facts.url] = facts.lead
        for address, label in facts.address_labels:
            if label:
                self.office_labels.append((address, label))
        if facts.subject is not None:
            self.profile_urls.setdefault(facts.subject, facts.url)
        else:
            _extend_unique(self.specialties, facts.specialties)
        _extend_unique(self.evidence, facts.evidence)
        self.pages += 1


def read_page(state: SiteState, html: str, url: str, seen_at: str) -> None:
    """Fold one page into the site state."""
    state.add(read_page_facts(html, url, state.root, seen_at))


def strongest_evidence(evidence: list[dict], seen_at: str | None = None) -> list[dict]:
    """Evidence without bare labels ("SkinPen microneedling" as a heading or menu entry) when full
    sentences say the same thing; refusals are always kept. Best first, at most MAX_EVIDENCE.

    With `seen_at`, every entry is stamped with it: one site crawl is one sighting, so the page
    order of a crawl never makes one of its quotes "newer" than another (the index lets the newest
    evidence of a practice decide).
    """

    def strong(entry: dict) -> bool:
        return len(entry["quote"].split()) >= STRONG_QUOTE_WORDS

    kept = evidence
    if any(strong(e) and not e["negated"] for e in evidence):
        kept = [e for e in evidence if e["negated"] or strong(e)]
    ranked = rank_evidence(kept)[:MAX_EVIDENCE]
    return [dict(e, seen_at=seen_at) if seen_at else dict(e) for e in ranked]


def _street_words(street: str | None) -> str:
    words = re.findall(r"[a-z]+", (street or "").lower())
    return " ".join(w for w in words if w not in ("suite", "ste", "unit", "floor", "building"))


# Words that name no office in particular: "Visit Us", "Our Locations", "Office Hours".
_GENERIC_OFFICE_WORDS = frozenset(
    "office offices location locations clinic clinics center centre suite our the at of and in "
    "visit us contact hours address directions find map call phone get touch where to "
    "welcome home page dermatology skin care plastic surgery medical spa laser index html htm "
    "php aspx for and with by".split()
)


# One word that describes an office rather than naming it: "Cosmetic & Laser Clinic".
_DESCRIPTIVE = frozenset(
    "cosmetic cosmetics aesthetic aesthetics laser lasers surgical surgery medicine medical "
    "pediatric general family skin plastic facial center wellness health spa suite pavilion "
    "campus hospital university institute north south east west downtown uptown".split()
)


def _office_words(text: str) -> str:
    words = re.findall(r"[a-z]+", text.lower().replace("’", "'"))
    return " ".join(w for w in words if w not in _GENERIC_OFFICE_WORDS)


def location_page_names(url: str, heading: str | None) -> list[str]:
    """What a location page calls its office: its URL's last segment ("/locations/west-pavilion/")
    and the end of its heading after a dash or bar ("Lakeview Skin & Laser – Skokie")."""
    names = []
    segments = [seg for seg in urlsplit(url).path.split("/") if seg]
    if segments:
        last = re.sub(r"\.\w+$", "", segments[-1])
        if last in ("index", "default") and len(segments) > 1:
            last = segments[-2]
        names.append(last.replace("-", " ").replace("_", " "))
    if heading:
        parts = re.split(r"\s[–—|:-]\s", heading)
        if len(parts) > 1:
            names.append(parts[-1])
    return names


class _Offices:
    """The site's offices, and which one a written place ("Cedar Park", "West Pavilion") means.

    An office is known by its unique city, its street, the heading over its address, and its
    location page's name; names shared by two offices say nothing."""

    def __init__(self, addresses: list[dict], labels: list[tuple[dict, str]] = ()):
        self.addresses = addresses
        names: list[set[str]] = [set() for _ in addresses]
        cities = [(a.get("city") or "").lower() for a in addresses]
        for index, address in enumerate(addresses):
            if cities[index] and cities.count(cities[index]) == 1:
                names[index].add(_office_words(cities[index]) or cities[index])
            street = _office_words(_street_words(address.get("street")))
            if len(street) > 6:
                names[index].add(street)
        for address, label in labels:
            index = self._index_of(address)
            if index is None:
                continue
            # "Center for Cosmetic Medicine at Riverside Pavilion": the whole, and each part
            for part in [label, *re.split(r"\s+(?:at|in|on)\s+|\s[–—|:-]\s", label)]:
                words = _office_words(part)
                if words:
                    names[index].add(words)
        shared = {n for i, group in enumerate(names) for n in group if any(
            n in other for j, other in enumerate(names) if j != i
        )}  # fmt: skip
        self.names = [
            {n for n in group if n and n not in shared and (" " in n or n not in _DESCRIPTIVE)}
            for group in names
        ]

    def _index_of(self, address: dict) -> int | None:
        for index, known in enumerate(self.addresses):
            if same_place(known, address):
                return index
        return None

    def key(self, index: int) -> str:
        return f"office-{index}"

    def place_key(self, place: str | None) -> str | None:
        """The office a written place means, or None when none or several fit."""
        if not place or len(self.addresses) < 2:
            return None
        text = _office_words(place)
        if not text:
            return None
        best: dict[int, int] = {}
        for index, names in enumerate(self.names):
            for name in names:
                if name == text:
                    score = 3
                elif re.search(rf"\b{re.escape(text)}\b", name):
                    score = 2
                elif re.search(rf"\b{re.escape(name)}\b", text):
                    score = 1
                else:
                    continue
                best[index] = max(best.get(index, 0), score)
        if not best:
            return None
        top = max(best.values())
        winners = [index for index, score in best.items() if score == top]
        return self.key(winners[0]) if len(winners) == 1 else None

    def places_in(self, text: str) -> list[str]:
        """The offices a person's own text names ("Sees patients at: Round Rock, Cedar Park")."""
        if len(self.addresses) < 2:
            return []
        lowered = _office_words(text)
        return [
            self.key(index)
            for index, names in enumerate(self.names)
            if any(re.search(rf"\b{re.escape(name)}\b", lowered) for name in names)
        ]

    def office_of(self, address: dict) -> str | None:
        index = self._index_of(address)
        return None if index is None else self.key(index)


def _person_offices(
    state: SiteState, offices: _Offices, people: list[SitePerson]
) -> dict[str, list[str]]:
    places: dict[str, list[str]] = {}
    for key, notes in state.person_notes.items():
        _extend_unique(places.setdefault(key, []), offices.places_in(" ".join(notes)))
    for address, keys, references in state.office_pages:
        office = offices.office_of(address)
        if office is None or len(offices.addresses) < 2:
            continue
        named = set(keys)
        for reference in references:
            named |= {p.key for p in resolve_reference(reference, people)}
        for key in named:
            _extend_unique(places.setdefault(key, []), [office])
    return {key: found for key, found in places.items() if found}


_LOCATED = re.compile(
    r"\blocated\s+(?:at|in|on|inside)\b|^\s*(?:at|in)\s+our\b"
    # "The Cosmetic & Laser Center at Riverside Pavilion brings ...": a page that opens by naming
    # its unit and where it is
    r"|^\s*The\s+(?-i:(?:[A-Z][\w'’-]*|&|and|of)\s+){1,8}(?:at|in)\s+(?:the\s+|our\s+)?",
    re.I | re.M,
)


def _folder(url: str) -> str:
    path = urlsplit(url).path or "/"
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def page_office(url: str, state: SiteState, offices: _Offices) -> str | None:
    """The office a page is about: its one address, else the one office its opening names after
    "located at" ("Located at Riverside Pavilion, the Center ..."). None on a one-office site."""
    if len(offices.addresses) < 2:
        return None
    address = state.page_offices.get(url)
    if address is not None:
        return offices.office_of(address)
    # a page in a location page's own folder ("/aesthetic-center/skin-rejuvenation.html" beside
    # "/aesthetic-center/") is that office's; a location page that is one file of a folder
    # ("/patient-care/northgate.html") owns no folder
    folder = _folder(url)
    for location_url, address in state.page_offices.items():
        if not re.search(r"/(?:index\.\w+)?$", urlsplit(location_url).path):
            continue
        home = _folder(location_url)
        if home != "/" and folder.startswith(home):
            return offices.office_of(address)
    lead = state.page_leads.get(url, "")
    match = _LOCATED.search(lead)
    if not match:
        return None
    named = offices.places_in(lead[match.end() : match.end() + 80])
    return named[0] if len(named) == 1 else None


def _place_statements(entries: list[dict], state: SiteState, offices: _Offices) -> list[dict]:
    """Each entry with the offices it is about: the places it names, else the location page it is
    on (a statement of a practice's Skokie page is about the Skokie office)."""
    page_offices: dict[str, str | None] = {}  # a page's office, once per page

    def office_of_page(url: str) -> str | None:
        if url not in page_offices:
            page_offices[url] = page_office(url, state, offices)
        return page_offices[url]

    out = []
    for entry in entries:
        keys = [k for k in (offices.place_key(p) for p in entry.get("places") or []) if k]
        url = entry.get("url") or ""
        if not keys and not entry.get("person") and not entry.get("people"):
            here = office_of_page(url)
            keys = [here] if here else []
        elif keys and entry.get("statement") == "offer":
            here = office_of_page(url)
            if here and here not in keys:
                # the Pflugerville page: "... are scheduled at our Round Rock and Cedar Park
                # offices" (there, so not here)
                entry = dict(entry, place_only=True)
        out.append(dict(entry, offices=keys) if keys else entry)
    return out


def _fold_titled_names(state: SiteState) -> None:
    """ "Dr. Tina Nguyen" in a headshot's alt text beside "Thanh "Tina" Nguyen, MD": a name known
    only as "Dr. First Last" (no credentials, no title) is the site's one physician of that last
    name, when there is exactly one."""
    physicians = [p for p in state.people.values() if p.is_physician]
    for key, person in list(state.people.items()):
        if person.is_physician or person.credentials or person.role != "other":
            continue
        if not person.titled_doctor:
            continue
        same = [p for p in physicians if p.last_name.lower() == person.last_name.lower()]
        if len(same) != 1:
            continue
        del state.people[key]
        for entry in state.evidence:
            if entry.get("person") == key:
                entry["person"] = same[0].key
        for notes in (state.person_notes, state.person_specialties):
            if key in notes:
                _extend_unique(notes.setdefault(same[0].key, []), notes.pop(key))


def site_items(state: SiteState, fetched_at: str) -> list[PracticeItem | PractitionerItem]:
    """One PracticeItem, plus one PractitionerItem per physician, for a finished site."""
    _fold_titled_names(state)
    name = choose_practice_name(
        state.structured_names, state.home_names, urlsplit(state.root).hostname or state.root
    )
    phone = state.phones[0] if state.phones else None
    blank = {"street": None, "city": None, "state": None, "postal_code": None}
    addresses = state.addresses or ([{**blank, "phone": phone}] if phone else [])
    locations = [
        {
            "practice": name,
            **address,
            "phone": address.get("phone") or phone,
            "lat": None,
            "lon": None,
        }
        for address in addresses
    ]
    offices = _Offices(state.addresses, state.office_labels)
    named = [
        SitePerson(p.key, p.first_name, p.last_name, p.is_physician) for p in state.people.values()
    ]
    person_offices = _person_offices(state, offices, named)
    site_people = [
        replace(person, places=tuple(person_offices.get(person.key, ()))) for person in named
    ]
    statements = sort_statements(_place_statements(state.evidence, state, offices), site_people)
    statements.office_count = len(offices.addresses)
    practice = practice_verdict(statements)
    staff = [
        {"name": p.name, "credentials": p.credentials, "role": p.role, "is_physician": False}
        for p in state.people.values()
        if not p.is_physician
    ]
    items: list[PracticeItem | PractitionerItem] = [
        PracticeItem(
            source="practice_site",
            source_key=state.root,
            url=state.root,
            fetched_at=fetched_at,
            name=name,
            website=state.root,
            locations=locations,
            evidence=strongest_evidence(practice.evidence, fetched_at),
            staff=staff,
            offer_status=practice.status,
        )
    ]
    for site_person in (p for p in site_people if p.is_physician):
        person = state.people[site_person.key]
        verdict = person_verdict(site_person, statements)
        own = refine_specialties(
            list(
                dict.fromkeys(
                    state.person_specialties.get(person.key, []) + person.title_specialties
                )
            )
        )
        if person.title_other_first:
            # their own title names another specialty first ("Professor of Medicine
            # (Rheumatology); joint appointment in Dermatology"): the title outranks a bio's words
            own = []
        other = (
            None
            if own
            else (person.other_specialty or state.person_other_specialty.get(person.key))
        )
        # A person's own claims first; the site's only for those who claim nothing of their own.
        specialties = own or ([] if other else refine_specialties(state.specialties))
        mine = [
            loc
            for index, loc in enumerate(locations)
            if not site_person.places or offices.key(index) in site_person.places
        ]
        items.append(
            PractitionerItem(
                source="practice_site",
                source_key=f"{state.root}#{name_key(person.name)}",
                url=state.profile_urls.get(person.key, state.root),
                fetched_at=fetched_at,
                name=person.name,
                first_name=person.first_name,
                middle_name=person.middle_name,
                last_name=person.last_name,
                suffix=person.suffix,
                credentials=person.credentials,
                npi=person.npi,
                specialties=specialties,
                other_specialty=other,
                extra={"former_names": [{"last_name": n} for n in person.former_last_names]}
                if person.former_last_names
                else {},
                is_physician=True,
                role=person.role,
                practice_name=name,
                website=state.root,
                profile_url=state.profile_urls.get(person.key),
                locations=mine or locations,
                evidence=strongest_evidence(verdict.evidence, fetched_at),
                offer_status=verdict.status,
            )
        )
    return items
