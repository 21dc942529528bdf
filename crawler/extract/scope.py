"""Who a site's statements apply to: the evidence scope model, statement -> subject -> polarity ->
strength, decided once a whole site has been read.

For each physician of the site, strongest rule first:

1. Their own statements (a bio, their card or table row, a sentence naming them, "performed by
   Dr. X"): a refusal ("Dr. X no longer performs microneedling") makes them not offer it; an offer
   makes them offer it. A person's own word beats the practice's.
2. A statement that names who performs the treatment ("performed by Dr. X") names the only
   physicians the practice-wide offer applies to: the others get no verdict.
3. An office's statements ("available at our Cedar Park office", "not available at our Round Rock
   office", anything a location page says) apply to the physicians seen at that office, when the
   site says who works where; "available only at our Plano location" means not at the others.
4. The practice's statements: explicit offers, treatment pages, services lists and structured
   offers make everyone offer it; an explicit practice-level refusal beats them, unless it refuses
   one device and the offer names another ("we retired Dermapen" beside a SkinPen page).
5. Mentions only (a blog post, an FAQ that explains, a sceptical article, a weak "contact us to
   learn more" outside a treatment page): "mentions", a state of its own, never an offer.
6. Nothing: no verdict.

Pure: works on plain dicts and dataclasses, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crawler.extract.evidence import rank_evidence

OFFERS = "offers"
DOES_NOT_OFFER = "does_not_offer"
MENTIONS = "mentions"
COUNTING = frozenset({"explicit", "markup", "convention"})
# Terms that name the procedure itself, not one device: refusing one of these refuses them all.
GENERIC_TERMS = frozenset(
    {
        "microneedling", "micro-needling", "micro needling", "microneedle", "microneedles",
        "collagen induction therapy", "collagen induction", "percutaneous collagen induction",
        "skin needling", "collagen induction treatment",
    }
)  # fmt: skip


@dataclass(frozen=True)
class SitePerson:
    """A person of the site as the scope model needs them."""

    key: str
    first_name: str
    last_name: str
    is_physician: bool
    places: tuple[str, ...] = ()  # offices the site says they work at (location keys)


@dataclass
class Verdict:
    """One physician's (or the practice's) microneedling status and the entries that show it,
    best first."""

    status: str | None  # OFFERS | DOES_NOT_OFFER | MENTIONS | None
    evidence: list[dict] = field(default_factory=list)
    rule: str = ""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-zà-ÿ]+", text.lower())


def resolve_reference(reference: str, people: Sequence[SitePerson]) -> list[SitePerson]:
    """The site's people a written reference means: "Dr. Ruiz", "Dr. Ana Ruiz", "Ana Ruiz, MD",
    "Dr. Ana" (some practices use first names). Ambiguous references resolve to everyone they fit;
    words after the name ("Dr. Ana Ruiz Performs", a title-case heading) are dropped one by one."""
    words = [
        w for w in _words(re.sub(r"^Dr\.?\s+", "", reference.strip())) if w not in ("md", "do")
    ]
    while words:
        found = _resolve_words(words, people)
        if found:
            return found
        words = words[:-1]
    return []


def _resolve_words(words: list[str], people: Sequence[SitePerson]) -> list[SitePerson]:
    if len(words) >= 2:
        exact = [
            p for p in people
            if _words(p.first_name)[:1] == words[:1] and _words(p.last_name)[-1:] == words[-1:]
        ]  # fmt: skip
        if exact:
            return exact
    last = [p for p in people if _words(p.last_name)[-1:] == words[-1:]]
    if last:
        return last
    if len(words) == 1:
        return [p for p in people if _words(p.first_name)[:1] == words]
    return []


def _applies_to(entry: dict, people: Sequence[SitePerson]) -> list[SitePerson] | None:
    """The people a person-scoped entry is about; None for a practice-level entry."""
    if entry.get("person"):
        found = [p for p in people if p.key == entry["person"]]
        return found or []
    if entry.get("people"):
        found: list[SitePerson] = []
        for reference in entry["people"]:
            for person in resolve_reference(reference, people):
                if person not in found:
                    found.append(person)
        return found
    return None


def statement_of(entry: dict) -> str:
    """ "offer", "refusal" or "mention"; entries recorded before statements were classified
    (no "statement" field) were offers unless negated."""
    return entry.get("statement") or ("refusal" if entry.get("negated") else "offer")


def _counts(entry: dict) -> bool:
    statement = statement_of(entry)
    return statement == "refusal" or (
        statement == "offer" and (entry.get("strength") or "explicit") in COUNTING
    )


def _refusal_wins(refusals: list[dict], offers: list[dict]) -> bool:
    """An explicit refusal beats offers unless it refuses one device and an offer names another."""
    refused = {(e.get("term") or "").lower() for e in refusals}
    if refused & GENERIC_TERMS:
        return True
    return not any((e.get("term") or "").lower() not in refused for e in offers)


def _decide(entries: list[dict], rule: str) -> Verdict | None:
    offers = [e for e in entries if statement_of(e) == "offer" and _counts(e)]
    refusals = [e for e in entries if statement_of(e) == "refusal"]
    if refusals and (not offers or _refusal_wins(refusals, offers)):
        return Verdict(DOES_NOT_OFFER, rank_evidence(refusals), rule)
    if offers:
        return Verdict(OFFERS, rank_evidence(offers), rule)
    return None


def _names_the_performers(entry: dict) -> bool:
    """ "performed only by Dr. X"; and "Microneedling is performed by Dr. X and Kelsey Tran, PA-C"
    on the practice's own pages: naming who performs the procedure itself (not one device) says
    the others do not."""
    if entry.get("exclusive"):
        return True
    return (
        (entry.get("basis") or "").startswith("performed by")
        and (entry.get("term") or "").lower() in GENERIC_TERMS
        and entry.get("page_kind") not in ("article", "faq")
    )


@dataclass
class SiteStatements:
    """Every statement of a site, sorted by whom it concerns."""

    people: Sequence[SitePerson]
    own: dict[str, list[dict]] = field(default_factory=dict)  # person key -> entries
    exclusive_to: set[str] | None = None  # physicians named as the ones who perform it
    by_place: dict[str, list[dict]] = field(default_factory=dict)
    only_at: set[str] | None = None  # "available only at our Plano location": these offices
    office_count: int = 0  # how many offices the site has (0: unknown)
    practice: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)  # staff members' own statements
    mentions: list[dict] = field(default_factory=list)


def sort_statements(entries: Iterable[dict], people: Sequence[SitePerson]) -> SiteStatements:
    """Sort a site's entries by subject: a person's own, an office's (`offices`: the office keys an
    entry is about), the practice's, and mentions."""
    physicians = [p for p in people if p.is_physician]
    sorted_ = SiteStatements(people=people)
    for entry in entries:
        if not _counts(entry):
            sorted_.mentions.append(entry)
            continue
        about = _applies_to(entry, people)
        if about is not None:
            doctors = [p for p in about if p.is_physician]
            if _names_the_performers(entry) and statement_of(entry) == "offer":
                named = {p.key for p in doctors}
                if named or not about:
                    # "performed by Dr. X": only the physicians named (none, if we cannot tell who)
                    sorted_.exclusive_to = (sorted_.exclusive_to or set()) | named
            if doctors:
                for person in doctors:
                    sorted_.own.setdefault(person.key, []).append(entry)
                continue
            if about:  # staff named ("Mia Castillo performs microneedling"): the practice does
                # it, at the staff member's offices when the site says where they work
                offices = sorted({place for person in about for place in person.places})
                for office in offices:
                    sorted_.by_place.setdefault(office, []).append(entry)
                if not offices and entry.get("person"):
                    # a staff member's own bio ("She performs microneedling"): what she does,
                    # not what every physician of the practice does
                    sorted_.staff.append(entry)
                elif not offices:
                    sorted_.practice.append(entry)
                continue
            if not physicians or not entry.get("exclusive"):
                sorted_.practice.append(entry)  # a name we could not place: say it of the practice
            continue
        offices = entry.get("offices") or []
        for office in offices:
            sorted_.by_place.setdefault(office, []).append(entry)
            if entry.get("place_only") and statement_of(entry) == "offer":
                sorted_.only_at = (sorted_.only_at or set()) | {office}
        if not offices:
            sorted_.practice.append(entry)
    return sorted_


def practice_verdict(statements: SiteStatements) -> Verdict:
    """What the site says of the practice as a whole (the practice listing's own status)."""
    own_word = _decide(statements.practice, "practice statement")
    if own_word is not None and own_word.status == OFFERS:
        return own_word  # an office that does not offer it does not undo the practice's offer
    offices = [_decide(v, "office statement") for v in statements.by_place.values()]
    offering = [v for v in offices if v is not None and v.status == OFFERS]
    if offering and own_word is None:
        # one office offers it, another does not: the practice offers it (at that office)
        return Verdict(
            OFFERS, rank_evidence([e for v in offering for e in v.evidence]), "an office"
        )
    everything = statements.practice + [e for v in statements.by_place.values() for e in v]
    verdict = _decide(everything + statements.staff, "practice statement")
    if verdict is None:
        everything += [e for v in statements.own.values() for e in v]
        verdict = _decide(everything, "a physician's statement")
    if verdict is not None:
        return verdict
    return _mentions(statements)


def person_verdict(person: SitePerson, statements: SiteStatements) -> Verdict:
    """One physician's status by the rules of the module docstring."""
    own = statements.own.get(person.key, [])
    practice = _decide(statements.practice, "practice statement")
    if practice is not None and practice.status == DOES_NOT_OFFER:
        # "we no longer offer microneedling" beats an old blog post announcing Dr. X offers it
        own = [
            e for e in own if not (statement_of(e) == "offer" and e.get("page_kind") == "article")
        ]
    verdict = _decide(own, "own statement")
    if verdict is not None:
        return verdict
    if statements.only_at and person.places and not set(person.places) & statements.only_at:
        # "only at our Plano location" says it is not offered where this physician works
        only = [e for o in sorted(statements.only_at) for e in statements.by_place.get(o, [])]
        refusals = [
            dict(e, statement="refusal", negated=True, basis="offered only at another office")
            for e in only
            if statement_of(e) == "offer" and e.get("place_only")
        ]
        return Verdict(DOES_NOT_OFFER, rank_evidence(refusals), "offered only elsewhere")
    office = None
    if statements.by_place:
        mine = [e for place in (person.places or ()) for e in statements.by_place.get(place, [])]
        if not person.places and len(statements.by_place) >= statements.office_count:
            # we cannot tell where they work, but every office has its word: the site's word
            mine = [e for v in statements.by_place.values() for e in v]
        office = _decide(mine, "office statement")
        if office is not None and office.status == DOES_NOT_OFFER:
            return office
    if statements.exclusive_to is not None and person.key not in statements.exclusive_to:
        if practice is not None and practice.status == DOES_NOT_OFFER:
            return practice
        # "Microneedling is performed by Dr. Nguyen and Kelsey Tran, PA-C": the site does not say
        # this physician does; nor that they never would
        return Verdict(None, [], "performed by others")
    if office is not None:  # their own office's word beats the practice-wide one
        return office
    if statements.by_place and person.places and practice is None:
        # statements about other offices only: nothing said of this one
        return _mentions(statements)
    if practice is not None:
        return practice
    return _mentions(statements)


def _mentions(statements: SiteStatements) -> Verdict:
    if statements.mentions:
        return Verdict(MENTIONS, rank_evidence(statements.mentions), "mentions only")
    return Verdict(None)
