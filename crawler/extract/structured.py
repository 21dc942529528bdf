"""What a page's structured data says: practices, people, their roles and specialties, and offers.

Reads the one schema.org graph of crawler/extract/markup.py, whatever syntax it came in. A person is
a Person / Physician / IndividualPhysician (or an h-card); their role comes from credentials
(honorificSuffix, hasCredential, the name's own "MD"), then the jobTitle, then the type. Offers are
`makesOffer`, `hasOfferCatalog`, `availableService` and a `provider`'s Service or MedicalProcedure:
each becomes an offer statement scoped to whoever makes it. Ratings and reviews are never read.
Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extract.contact import merge_addresses
from crawler.extract.markup import Markup, Thing, markup_from_html
from crawler.extract.normalise import (
    collapse_ws,
    normalise_credentials,
    normalise_state,
    normalise_zip,
    npi_is_valid,
    phone_e164,
    refine_specialties,
    specialties_from_text,
)
from crawler.extract.people import Person, person_from_name
from crawler.extract.terms import find_terms
from crawler.extract.titles import read_title

PERSON_TYPES = frozenset({"Person", "Physician", "IndividualPhysician", "Dermatologist"})
# Physician is also a schema.org MedicalOrganization; with a person's name it is a person.
PHYSICIAN_TYPES = frozenset({"Physician", "IndividualPhysician"})
PRACTICE_TYPES = frozenset(
    {
        "MedicalClinic", "MedicalBusiness", "MedicalOrganization", "Physician", "Dentist",
        "LocalBusiness", "HealthAndBeautyBusiness", "DaySpa", "BeautySalon", "Organization",
        "Hospital", "MedicalSpecialty", "Dermatology", "PlasticSurgery", "Optician",
        "CollegeOrUniversity", "EducationalOrganization", "HealthClub",
    }
)  # fmt: skip
ARTICLE_TYPES = frozenset(
    {"BlogPosting", "Article", "NewsArticle", "SocialMediaPosting", "Report", "ScholarlyArticle"}
)
OFFERED_TYPES = frozenset(
    {"Service", "MedicalProcedure", "MedicalTherapy", "TherapeuticProcedure", "Product",
     "CosmeticProcedure", "MedicalTest", "Offer"}
)  # fmt: skip
_PEOPLE_PROPERTIES = ("employee", "employees", "member", "members", "founder", "physician", "staff")


@dataclass
class StructuredData:
    """What a page's structured data says about practices, people and offers."""

    practice_names: list[str] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    telephones: list[str] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)
    person_specialties: dict[str, list[str]] = field(default_factory=dict)  # person key -> slugs
    person_other_specialty: dict[str, str] = field(default_factory=dict)  # key -> "cardiology"
    # {"term", "quote", "person": key or None (the practice)}; quote is the markup's own text
    offers: list[dict] = field(default_factory=list)
    page_types: set[str] = field(default_factory=set)
    site_name: str | None = None
    og_type: str | None = None


def _address(thing: Thing | None) -> dict | None:
    if thing is None:
        return None
    if not thing.props and thing.text("name"):
        return None
    street = thing.text("streetAddress")
    city = thing.text("addressLocality")
    state = normalise_state(thing.text("addressRegion"))
    postal_code = normalise_zip(thing.text("postalCode"))
    if not (street or city or postal_code):
        return None
    return {
        "street": street,
        "city": city,
        "state": state,
        "postal_code": postal_code,
        "phone": None,
    }


def _npi(thing: Thing) -> str | None:
    """An NPI from `identifier`: a PropertyValue with propertyID "NPI", or a bare valid NPI."""
    for value in thing.values("identifier"):
        if isinstance(value, Thing):
            kind = (value.text("propertyID") or value.text("name") or "").lower()
            candidate = (value.text("value") or "").strip()
            if "npi" in kind and npi_is_valid(candidate):
                return candidate
        elif npi_is_valid(str(value).strip()):
            return str(value).strip()
    return None


def _specialty_slugs(thing: Thing) -> list[str]:
    slugs: list[str] = []
    for text in thing.texts("medicalSpecialty"):
        # "https://schema.org/PlasticSurgery" -> "Plastic Surgery"
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text.rsplit("/", 1)[-1])
        for slug in specialties_from_text(words):
            if slug not in slugs:
                slugs.append(slug)
    return refine_specialties(slugs)


def _credentials(thing: Thing) -> list[str]:
    raw = thing.texts("honorificSuffix")
    for credential in thing.things("hasCredential"):
        raw += credential.texts("credentialCategory") + credential.texts("name")
    raw += [v for v in thing.values("hasCredential") if isinstance(v, str)]
    return normalise_credentials(raw)


def _person(thing: Thing) -> Person | None:
    name = thing.text("name")
    if not name and (thing.text("givenName") or thing.text("familyName")):
        name = " ".join(t for t in (thing.text("givenName"), thing.text("familyName")) if t)
    if not name:
        return None
    prefix = thing.text("honorificPrefix") or ""
    person = person_from_name(name, _credentials(thing))
    if person is None:
        return None
    person.titled_doctor = person.titled_doctor or prefix.lower().startswith("dr")
    person.npi = _npi(thing)
    for title in thing.texts("jobTitle") + thing.texts("hasOccupation"):
        person.note_title(read_title(title))
    if thing.is_a(*PHYSICIAN_TYPES) and person.role == "other":
        # An explicitly typed physician with no credentials or title to contradict the markup.
        person.typed_physician = True
        person.settle_role()
    return person


def _offered_terms(thing: Thing) -> list[tuple[str, str]]:
    """(term, quote) for an offered Service / Procedure / Offer that names the procedure.

    The quote is the markup's own description when it names the procedure, else its name."""
    out = []
    texts = thing.texts("description") + thing.texts("name")
    for inner in thing.things("itemOffered"):
        texts = inner.texts("description") + inner.texts("name") + texts
    for text in texts:
        mentions = find_terms(text)
        if mentions:
            out.append((mentions[0].term, collapse_ws(text)))
            break
    return out


def _offers_of(thing: Thing, depth: int = 0) -> list[tuple[str, str]]:
    """What `thing` (a practice or a person) says it offers, through every offer property."""
    if depth > 4:
        return []
    found: list[tuple[str, str]] = []
    for offer in thing.things("makesOffer") + thing.things("availableService"):
        found += _offered_terms(offer)
    for catalog in thing.things("hasOfferCatalog"):
        found += _catalog_terms(catalog, depth + 1)
    return found


def _catalog_terms(catalog: Thing, depth: int) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if depth > 6:
        return found
    for element in catalog.things("itemListElement"):
        if element.is_a("OfferCatalog"):
            found += _catalog_terms(element, depth + 1)
        else:
            found += _offered_terms(element)
            for inner in element.things("item"):
                found += _offered_terms(inner)
    return found


def _add_unique(target: list, value) -> None:
    if value and value not in target:
        target.append(value)


def structured_from_markup(markup: Markup) -> StructuredData:
    """Read a page's schema.org graph into StructuredData."""
    data = StructuredData(site_name=markup.site_name, og_type=markup.og_type)
    people: dict[int, Person] = {}
    for thing in markup.walk():
        data.page_types |= thing.types & (ARTICLE_TYPES | {"FAQPage", "MedicalWebPage"})
        person = _person(thing) if thing.is_a(*PERSON_TYPES) else None
        if person is None and thing.is_a("Physician") is False and thing.is_a(*PERSON_TYPES):
            continue
        if person is not None:
            people[id(thing)] = person
            existing = next((p for p in data.people if p.key == person.key), None)
            if existing:
                existing.merge(person)
            else:
                data.people.append(person)
            for slug in _specialty_slugs(thing):
                _add_unique(data.person_specialties.setdefault(person.key, []), slug)
            for title in thing.texts("jobTitle"):
                info = read_title(title)
                for slug in info.specialties:
                    _add_unique(data.person_specialties.setdefault(person.key, []), slug)
                if info.other_specialty:
                    data.person_other_specialty.setdefault(person.key, info.other_specialty)
        elif thing.is_a(*PRACTICE_TYPES) and thing.text("name"):
            _add_unique(data.practice_names, thing.text("name"))
        for slug in _specialty_slugs(thing) if person is None else []:
            _add_unique(data.specialties, slug)
        telephones = [t for t in map(phone_e164, thing.texts("telephone")) if t]
        for value in thing.values("address"):
            address = _address(value) if isinstance(value, Thing) else None
            if address and person is None:
                # A clinic's own telephone goes with its own address (one entity per location).
                address["phone"] = telephones[0] if telephones else None
            if address:
                merge_addresses(data.addresses, [address])
        for telephone in telephones:
            _add_unique(data.telephones, telephone)
        for key in _PEOPLE_PROPERTIES:
            for value in thing.values(key):
                if isinstance(value, str):
                    nested = person_from_name(value)
                    if nested and all(p.key != nested.key for p in data.people):
                        data.people.append(nested)
        subject = person.key if person is not None else None
        for term, quote in _offers_of(thing):
            offer = {"term": term, "quote": quote, "person": subject}
            if offer not in data.offers:
                data.offers.append(offer)
        if thing.is_a("Service", "MedicalProcedure", "MedicalTherapy") and thing.things("provider"):
            provider = next(iter(thing.things("provider")))
            provider_person = _person(provider) if provider.is_a(*PERSON_TYPES) else None
            for term, quote in _offered_terms(thing):
                offer = {
                    "term": term,
                    "quote": quote,
                    "person": provider_person.key if provider_person else None,
                }
                if offer not in data.offers:
                    data.offers.append(offer)
    return data


def structured_from_html(html: str, url: str) -> StructuredData:
    """schema.org facts on a page; malformed markup yields what could be read, never an exception."""
    return structured_from_markup(markup_from_html(html, url))
