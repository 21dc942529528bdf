"""A practice website read in full: every page's facts folded into one `SiteState`, then one practice
item and one item per physician, each physician with the microneedling status and evidence the
site's statements give them (crawler/extract/scope.py). Pure (no I/O, no Scrapy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
    # (the office a location page is about, the people it names)
    office_pages: list[tuple[dict, list[str]]] = field(default_factory=list)
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
        if facts.page_address and facts.page_kind != "home" and facts.people_here:
            self.office_pages.append((facts.page_address, list(facts.people_here)))
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


class _Offices:
    """The site's offices, and which one a written place ("Cedar Park", "Elm Street") means."""

    def __init__(self, addresses: list[dict]):
        self.addresses = addresses
        cities = [(a.get("city") or "").lower() for a in addresses]
        self.unique_cities = {c for c in cities if c and cities.count(c) == 1}

    def key(self, index: int) -> str:
        return f"office-{index}"

    def place_key(self, place: str | None) -> str | None:
        if not place or len(self.addresses) < 2:
            return None
        text = place.lower()
        for index, address in enumerate(self.addresses):
            city = (address.get("city") or "").lower()
            if city in self.unique_cities and (city == text or city in text):
                return self.key(index)
            if len(text) > 3 and text in _street_words(address.get("street")):
                return self.key(index)
        return None

    def places_in(self, text: str) -> list[str]:
        """The offices a person's own text names ("Sees patients at: Round Rock, Cedar Park")."""
        if len(self.addresses) < 2:
            return []
        lowered = text.lower()
        found = []
        for index, address in enumerate(self.addresses):
            city = (address.get("city") or "").lower()
            street = _street_words(address.get("street"))
            named_city = city in self.unique_cities and re.search(
                rf"\b{re.escape(city)}\b", lowered
            )
            named_street = street and len(street) > 6 and street in re.sub(r"[^a-z ]", "", lowered)
            if named_city or named_street:
                found.append(self.key(index))
        return found

    def office_of(self, address: dict) -> str | None:
        for index, known in enumerate(self.addresses):
            if same_place(known, address):
                return self.key(index)
        return None


def _person_offices(state: SiteState, offices: _Offices) -> dict[str, list[str]]:
    places: dict[str, list[str]] = {}
    for key, notes in state.person_notes.items():
        _extend_unique(places.setdefault(key, []), offices.places_in(" ".join(notes)))
    for address, keys in state.office_pages:
        office = offices.office_of(address)
        if office is None or len(offices.addresses) < 2:
            continue
        for key in keys:
            _extend_unique(places.setdefault(key, []), [office])
    return {key: found for key, found in places.items() if found}


def site_items(state: SiteState, fetched_at: str) -> list[PracticeItem | PractitionerItem]:
    """One PracticeItem, plus one PractitionerItem per physician, for a finished site."""
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
    offices = _Offices(state.addresses)
    person_offices = _person_offices(state, offices)
    site_people = [
        SitePerson(
            key=p.key,
            first_name=p.first_name,
            last_name=p.last_name,
            is_physician=p.is_physician,
            places=tuple(person_offices.get(p.key, ())),
        )
        for p in state.people.values()
    ]
    statements = sort_statements(state.evidence, site_people, offices.place_key)
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
