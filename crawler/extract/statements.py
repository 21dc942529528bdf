"""Is a sentence that names microneedling an offer, a refusal or a mere mention? And whose?

A mention is not an offer. Each candidate sentence is read by explicit rules, in order, on the
clause that names the procedure:

1. a question asks; it claims nothing (its answer may);
2. a refusal cue ("no longer offer", "we refer patients elsewhere") makes a refusal, unless the
   clause only restricts ("not on patients with active acne");
3. an offer statement needs someone who offers and a verb of offering, or a form only an offering
   practice writes: "we / our providers / Dr. X + offer, perform, provide, use...", "performed by
   Dr. X", "is available at our office", "our SkinPen treatments", a price of its own, "book your
   microneedling";
4. anything else (explains, compares, reports, hedges, sells a home roller) is a mention.

Strength says where the sentence counts: `explicit` anywhere on the site, `weak` ("we may
recommend", "contact us to learn more") only on the practice's own treatment pages, `none` never.
The agent says whose statement it is: the practice, a named person, or a pronoun that the page
(a bio, a person's card) resolves. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from crawler.extract.normalise import collapse_ws
from crawler.extract.terms import Mention, find_terms, vocabulary

# ---------------------------------------------------------------- sentences and prices

_ABBREVIATIONS = frozenset(
    "Dr Mr Mrs Ms St Ste vs e.g i.e approx No Jr Sr Inc Blvd Ave Mt Ft Drs Prof".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]?\s+(?=[A-Z0-9\"“($])")
_CLAUSE_SPLIT = re.compile(r";|\s[–—]\s|,?\s+(?:but|however|although|though|whereas|yet)\s+", re.I)
_PRICE = re.compile(
    r"(?:(?:from|starting at|starts at|start at|as low as|only)\s+)?\$\s?\d[\d,]*(?:\.\d{2})?"
    r"(?:\s*(?:-|–|to)\s*\$?\s?\d[\d,]*(?:\.\d{2})?)?"
    r"(?:\s*(?:per|/|a|each)\s*(?:session|treatment|visit|area))?",
    re.I,
)
# Prices a practice does not charge: national averages and ranges in an article.
_PRICE_HEDGE = re.compile(
    r"\b(?:average|typical(?:ly)?|usually|generally|national(?:ly)?|nationwide|range|ranges|"
    r"anywhere from|can cost|may cost|could cost|costs? (?:can )?vary|in the (?:US|U\.S\.|United "
    r"States)|according to|survey|estimate[sd]?|home (?:device|roller|kit)s?|at-home)\b",
    re.I,
)
# Restrictions are not refusals: "we do not perform microneedling on patients with active acne".
_RESTRICTION = re.compile(
    r"\b(?:if you|on patients|for patients|on anyone|during pregnancy|pregnant|while you|"
    r"until|within \d|on active|over active|with active|on skin that|on areas? (?:of|with)|"
    r"for anyone|on the same day|same day as|for (?:at least )?\d|for people (?:with|who))\b",
    re.I,
)


def split_sentences(text: str) -> list[str]:
    """Sentences of a text block; abbreviations such as "Dr." do not end a sentence."""
    pieces = _SENTENCE_END.split(collapse_ws(text))
    sentences: list[str] = []
    for piece in pieces:
        if sentences and sentences[-1].rsplit(" ", 1)[-1].rstrip(".") in _ABBREVIATIONS:
            sentences[-1] = f"{sentences[-1]} {piece}"
        elif sentences and re.search(r"(?:^|\s)[A-Z]\.$", sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"  # a middle initial: "Ana M. Ruiz"
        else:
            sentences.append(piece)
    return [s for s in sentences if s]


def find_price(text: str) -> str | None:
    """The first price written in `text` ("from $300", "$250 per session"), or None."""
    match = _PRICE.search(text)
    return collapse_ws(match.group(0)) if match else None


def clause_of(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The [start, end) of the clause holding the span [start, end)."""
    clause_start, clause_end = 0, len(sentence)
    for boundary in _CLAUSE_SPLIT.finditer(sentence):
        if boundary.end() <= start:
            clause_start = boundary.end()
        elif boundary.start() >= end:
            clause_end = boundary.start()
            break
    return clause_start, clause_end


def is_refusal(sentence: str, start: int, end: int) -> bool:
    """True when the clause naming the procedure at [start, end) says it is not offered."""
    a, b = clause_of(sentence, start, end)
    clause = sentence[a:b]
    if not vocabulary().negation.search(clause):
        return False
    return not _RESTRICTION.search(clause)


# ---------------------------------------------------------------- the rules

OFFER_VERB = (
    r"(?:offers?|offering|offered|provides?|providing|performs?|performing|perform(?:ed)?|"
    r"uses?|using|utili[sz]es?|utili[sz]ing|administers?|features?|featuring|"
    r"speciali[sz](?:e|es|ing) in|carr(?:y|ies)|includes?|including|does|do|"
    r"(?:is|are|am) (?:board[- ])?(?:certified|trained|experienced|skilled) (?:in|with|to perform)|"
    r"ha(?:s|ve) (?:extensive |many years of |years of |significant )?experience (?:in|with)|"
    r"ha(?:s|ve) (?:been )?(?:perform|offer|provid|do)(?:ed|ing)|"
    r"(?:is|are|am) (?:proud|pleased|excited|happy|thrilled) to (?:offer|provide|introduce|"
    r"announce|bring|now offer)|(?:now )?brings?|introduced|added|"
    r"(?:loves?|enjoys?) (?:performing|offering|providing|doing)|treat(?:s|ing)?|"
    r"pairs?|pairing|combines?|combining)"
)
# Between a subject and its verb: these make the statement hypothetical or reported.
_HEDGE = re.compile(
    r"\b(?:if|whether|may|might|could|would|should|often get|get asked|are (?:often |frequently )?"
    r"asked|hear|heard|believe|think|wonder|know|read|see|saw|found|not sure|don't know)\b",
    re.I,
)
_PRACTICE_WORDS = (
    r"team|practice|office|offices|clinic|clinics|spa|med ?spa|center|centre|institute|group|"
    r"providers?|physicians?|doctors?|dermatologists?|surgeons?|specialists?|experts?|staff|"
    r"nurses?|injectors?|a?estheticians?|clinicians?|practitioners?|board[- ]certified \w+|"
    r"skilled \w+|experienced \w+|licensed \w+|trained \w+|medical \w+|skin ?care \w+|location|"
    r"locations"
)
_WE = re.compile(
    rf"\b(?:we|we've|we're|we’ve|we’re|(?:our|both|all|each|both of our|all of our|each of our)"
    rf"(?:\s+(?:two|three|four|five|six|own))?(?-i:(?:\s+[A-Z][\w'’&-]+){{0,3}})"
    rf"\s+(?:{_PRACTICE_WORDS}))\b"
    rf"(?P<between>(?:[\s,]+[\w'’.-]+){{0,6}}?),?\s+"
    rf"(?P<verb>{OFFER_VERB})\b",
    re.I,
)
_NAME = r"[A-Z][A-Za-zÀ-ÖØ-öø-ÿ'’-]+"
_PARTICLES = r"(?:(?:van|von|de|del|della|der|den|da|di|du|la|le|st\.)\s+)"
_DR = rf"Dr\.?\s+(?:{_NAME}\s+){{0,2}}(?:[A-Z]\.\s+)?{_PARTICLES}*{_NAME}"
_PERSON_SUBJECT = re.compile(
    rf"(?P<who>{_DR}|{_NAME}(?:\s+[A-Z]\.)?\s+{_NAME}(?:,?\s+(?:M\.?D\.?|D\.?O\.?))?)"
    rf"(?P<between>(?:[\s,]+[\w'’.-]+){{0,5}}?),?\s+(?P<verb>{OFFER_VERB})\b"
)
# "Brianna performs PRP microneedling": a first name alone, with a verb only people use.
_FIRST_NAME_SUBJECT = re.compile(
    rf"^(?P<who>{_NAME})\s+(?P<verb>performs|offers|provides|specializes in|specialises in|"
    r"administers|has performed)\b"
)
_PRONOUN_SUBJECT = re.compile(
    rf"\b(?P<who>[Ss]he|[Hh]e|I)(?P<between>(?:\s+[\w'’-]+){{0,3}}?)\s+(?P<verb>{OFFER_VERB})\b"
)
_BY = re.compile(
    r"\b(?:performed|provided|offered|administered|done|delivered|carried out|given|treated|planned)\s+"
    # "performed at the Midtown Clinic by Dr. Lindqvist": where, then by whom
    r"(?:(?:at|in)\s+[^,.;]{1,60}?\s+)?(?:exclusively\s+|only\s+|personally\s+|solely\s+)?"
    r"by\s+(?P<who>.+)$",
    re.I,
)
# Words that make an attribution exclusive: "performed only by Dr. X", "exclusively by".
_EXCLUSIVE = re.compile(
    r"\b(?:only|exclusively|solely)\s+by\b|\bby\s+(?:only|exclusively)\b|\bonly\s+Dr\.?\s|^all\b",
    re.I,
)
_SUPERVISION = re.compile(
    r"\b(?:following|under|with the (?:help|assistance)|supervised|supervision|protocols?|"
    r"direction|oversight|overseen)\b",
    re.I,
)
_BY_PRACTICE = re.compile(rf"^(?:one of )?our\s+(?:[\w-]+\s+){{0,2}}?(?:{_PRACTICE_WORDS})\b", re.I)
_AVAILABLE = re.compile(
    r"\b(?:is|are)\s+(?:now\s+|also\s+|currently\s+|proudly\s+)?(?:available|offered|performed|"
    r"provided|done|scheduled)\b(?P<rest>.*)$",
    re.I,
)
_AT_OURS = re.compile(
    r"\b(?:at|in|through|from)\s+(?:both of |all of |each of |one of )?(?:our|the practice|"
    r"(?-i:[A-Z][\w'’&-]+(?:\s+[A-Z][\w'’&-]+){0,4}))\b",
    re.I,
)
_OUR_TERM_WORDS = (
    r"signature|popular|advanced|medical[- ]grade|new|in[- ]office|professional|clinical|"
    r"customi[sz]ed|exclusive|medical|cosmetic|aesthetic|skin|facial|premium|state[- ]of[- ]the[- ]art|"
    r"fda[- ]cleared|fda[- ]approved|award[- ]winning|own|latest|gold[- ]standard|rf|prp|"
    r"radiofrequency|automated|\w+[- ]based"
)
_CTA = re.compile(
    r"(?:^|[.!:]\s+|\b(?:to|please|today,?|now,?)\s+)(?P<verb>book|schedule|request|reserve|call|"
    r"contact|text|ask|visit|start|begin|sign up|inquire|set up|come in|stop by)\b",
    re.I,
)
_CTA_STRONG = re.compile(
    r"\b(?:book|schedule|request|reserve|set up)\b.{0,60}\b(?:appointment|consultation|consult|"
    r"session|treatment|visit|series)\b|\bask (?:us |your provider )?about (?:our|the)\b|"
    r"\b(?:book|schedule|reserve)\s+(?:your|a|an|online)\b",
    re.I,
)
_PLACE_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|&|of|at))*"
# "at our Cedar Park office", "our Strongsville and Mentor offices", "at both our Round Rock and
# Cedar Park locations", "in our Plano Laser & Aesthetics Suite", "at the Aesthetic Center"
_PLACES = re.compile(
    r"\b(?:(?:at|in|from)\s+)?(?:both\s+(?:of\s+)?|all\s+(?:of\s+)?|each\s+of\s+|one\s+of\s+)?"
    r"(?:our|the)\s+"
    rf"(?-i:(?P<names>{_PLACE_NAME}(?:\s*(?:,|,?\s+and|,?\s+or|&)\s+{_PLACE_NAME})*))\s+"
    r"(?:offices?|locations?|clinics?|centers?|centres?|practices?|spas?|suites?|campus(?:es)?|"
    r"pavilions?|buildings?|branch(?:es)?)\b",
    re.I,
)
_WITH_DOCTOR = re.compile(rf"\bwith\s+({_DR})")
_NOT_PLACES = re.compile(r"^(?:main|new|original|flagship|other|same|local|home|our|the)$", re.I)
_PLACE_ONLY = re.compile(r"\bonly\b|\bexclusively\s+(?:at|in)\b", re.I)


def doctor_references(text: str) -> list[str]:
    """Every "Dr. Lastname" / "Dr. First Last" a text writes, as written."""
    return [collapse_ws(m.group(0)) for m in re.finditer(_DR, text)]


def places_in(sentence: str) -> tuple[str, ...]:
    """The offices a sentence names ("Round Rock", "Cedar Park"), as written."""
    found: list[str] = []
    for match in _PLACES.finditer(sentence):
        for name in re.split(r"\s*(?:,|\band\b|\bor\b)\s*", match.group("names")):
            name = name.strip(" &")
            if name and not _NOT_PLACES.match(name) and name not in found:
                found.append(name)
    return tuple(found)


_PRACTICE_NAME_SUBJECT = re.compile(
    rf"^(?:At\s+)?(?P<who>(?:[A-Z][\w'’&.-]*\s+){{0,4}}(?:Dermatology|Skin|Clinic|Aesthetics|"
    rf"Med\s?Spa|Medical Spa|Plastic Surgery|Surgery|Surgical|Dermatologic|Cosmetic|Laser|Center|"
    rf"Centre|Institute|Associates|Group|Spa|Wellness|Beauty|Health|Medicine|MD|PLLC|PC|LLC))"
    rf"(?:,\s*(?:we|our)\b|\s+(?P<verb>{OFFER_VERB})\b|(?:'s|’s)\s)",
)
_BUSINESS = (
    r"Dermatology|Skin|Clinic|Clinics|Aesthetics|Aesthetic|Med\s?Spa|Spa|Surgery|Surgical|"
    r"Dermatologic|Cosmetic|Laser|Center|Centre|Institute|Associates|Group|Wellness|Beauty|Health|"
    r"Medicine|Medical|Department|Division|Program|Practice|Pavilion|Hospital|Studio|Lounge|PLLC|"
    r"LLC|PC|Team|Providers|Physicians|Staff"
)
_BUSINESS_WORD = re.compile(rf"\b(?:{_BUSINESS})\b")
# "The Cosmetic & Laser Dermatology Clinic at West Pavilion offers ...": an organisation's name,
# capitalised words with "&", "of", "at", "the", one of them a business word, then the verb.
_ORGANISATION_SUBJECT = re.compile(
    rf"^(?:At\s+|The\s+)?(?P<who>(?:(?:[A-Z][\w'’.-]*|&|and|of|at|the)\s+){{0,9}}?"
    rf"(?:{_BUSINESS})(?:\s+(?:[A-Z][\w'’.-]*|&|of|at|the))*?)"
    rf"(?:\s*,\s*(?:we|our)\b|\s+(?P<verb>{OFFER_VERB})\b)"
)
_REPLACEMENT = re.compile(
    r"\b(?:replaced|replacing|instead|in favou?r of|switched to|now (?:use|offer))\b", re.I
)
# "Clinical interests: acne, microneedling": what a person's card or a services list names.
_LIST_ENTRY = re.compile(
    r"^(?:(?:clinical|special|areas? of|research|practice)\s+)?(?:interests?|expertise|focus|"
    r"specialties|specialities|procedures|services|treatments|offerings|menu|procedures performed|"
    r"services offered|treatments offered)(?:\s+include)?\s*:",
    re.I,
)
_NOT_SUBJECTS = {"this", "that", "it", "which", "who", "she", "he", "they", "everyone", "nobody"}
_SINGULAR_FIRST_PERSON_HEDGE = re.compile(r"\bI\s+(?:had|got|tried|received|loved|was)\b")


@dataclass(frozen=True)
class Reading:
    """What one sentence says about the procedure (see the module docstring)."""

    polarity: str  # "offer" | "refusal" | "mention"
    strength: str  # "explicit" | "weak" | "none"
    agent: str  # "practice" | "person" | "pronoun" | "none"
    people: tuple[str, ...] = ()  # person references as written ("Dr. Ruiz", "Ana Ruiz, MD")
    exclusive: bool = False  # "performed by Dr. X": the named physicians, not the others
    places: tuple[str, ...] = ()  # ("Cedar Park",) in "available at our Cedar Park office"
    place_only: bool = False  # "available only at our Plano location": not at the others
    rule: str = ""
    term: str = ""
    price: str | None = None


def _people_in(text: str) -> tuple[str, ...]:
    found = re.findall(
        rf"{_DR}|{_NAME}(?:\s+[A-Z]\.)?\s+{_NAME}(?=,?\s+(?:M\.?D\.?|D\.?O\.?)\b)", text
    )
    return tuple(dict.fromkeys(collapse_ws(f) for f in found))


def _after(match: re.Match, mention: Mention, clause_start: int) -> bool:
    """The procedure comes after the offering verb (it is what is offered, not the subject)."""
    return mention.start >= clause_start + match.end("verb") - 1


def read_sentence(sentence: str, mentions: list[Mention] | None = None) -> Reading | None:
    """Read one sentence; None when it does not name the procedure at all."""
    mentions = mentions if mentions is not None else find_terms(sentence)
    if not mentions:
        return None
    # One offering mention makes the sentence an offer ("we retired Dermapen; SkinPen replaced it").
    readings = [_read_mention(sentence, mention) for mention in mentions]
    if any(r.polarity == "refusal" for r in readings):
        # "We no longer offer Dermapen; SkinPen has replaced it": the other device is the offer.
        refused = {r.term for r in readings if r.polarity == "refusal"}
        readings = [
            _reading("offer", "explicit", "practice", "replacement", mention)
            if r.polarity == "mention" and mention.term not in refused and len(refused) < len(mentions)
            and _REPLACEMENT.search(sentence)
            else r
            for r, mention in zip(readings, mentions, strict=True)
        ]  # fmt: skip
    order = {"offer": 0, "refusal": 1, "mention": 2}
    strength = {"explicit": 0, "weak": 1, "none": 2}
    best = min(readings, key=lambda r: (order[r.polarity], strength[r.strength]))
    if best.polarity == "mention":
        return best
    text = sentence
    if best.polarity == "refusal":
        # "not performed at Northgate; patients are scheduled at the Riverside Pavilion instead":
        # the refusal is about the places of its own clause
        mention = next(m for m, r in zip(mentions, readings, strict=True) if r is best)
        a, b = clause_of(sentence, mention.start, mention.end)
        text = sentence[a:b]
    places = places_in(text)
    return replace(best, places=places, place_only=bool(places and _PLACE_ONLY.search(text)))


def _reading(
    polarity: str, strength: str, agent: str, rule: str, mention: Mention, **kw
) -> Reading:
    return Reading(polarity, strength, agent, rule=rule, term=mention.term, **kw)


def _read_mention(sentence: str, mention: Mention) -> Reading:
    a, b = clause_of(sentence, mention.start, mention.end)
    clause = sentence[a:b]
    price = find_price(sentence)
    people = _people_in(sentence)
    if sentence.rstrip(" \"”'").endswith("?"):
        return _reading("mention", "none", "none", "question", mention)
    if is_refusal(sentence, mention.start, mention.end):
        cue = vocabulary().negation.search(clause)
        before = clause[: cue.start()] if cue else clause
        subject_people = _people_in(before)
        if subject_people:
            return _reading(
                "refusal", "explicit", "person", "refusal", mention, people=subject_people
            )
        if re.search(r"\b(?:[Ss]he|[Hh]e|I)\b", before):
            return _reading("refusal", "explicit", "pronoun", "refusal", mention)
        return _reading("refusal", "explicit", "practice", "refusal", mention)

    if vocabulary().negation.search(clause):
        # "we do not perform microneedling on patients with active acne": a restriction of a
        # service that exists
        return _reading("offer", "explicit", "practice", "restriction", mention)
    # who offers, by the sentence's own grammar
    match = _PRACTICE_NAME_SUBJECT.search(clause)
    if match and (match.group("verb") is None or _after(match, mention, a)):
        return _reading("offer", "explicit", "practice", "practice offers", mention)
    match = _ORGANISATION_SUBJECT.match(clause)
    if match and _after(match, mention, a):
        return _reading("offer", "explicit", "practice", "practice offers", mention)
    for match in _PERSON_SUBJECT.finditer(clause):
        if _BUSINESS_WORD.search(match.group("who")):
            continue  # "Laser Dermatology offers": a clinic, not a person
        if _after(match, mention, a) and not _HEDGE.search(match.group("between")):
            # "Dr. A, Dr. B and Dr. C all treat patients with Vivace": every doctor of the subject
            who = tuple(doctor_references(clause[: match.start("who")])) + (
                _people_in(match.group("who")) or (collapse_ws(match.group("who")),)
            )
            who = tuple(dict.fromkeys(who))
            if not re.match(r"(?i)(?:at|our|the|this|these|your)\b", match.group("who")):
                return _reading(
                    "offer", "explicit", "person", "person offers", mention, people=who, price=price
                )
    for match in _WE.finditer(clause):
        if _after(match, mention, a):
            hedged = _HEDGE.search(match.group("between"))
            weak = hedged or re.match(r"(?i)includ", match.group("verb"))
            with_doctor = _WITH_DOCTOR.search(sentence[mention.end :])
            if with_doctor and not weak:
                # "Our Round Rock office offers SkinPen microneedling on Tuesdays with Dr. Fuentes"
                return _reading(
                    "offer", "explicit", "person", "with the doctor", mention,
                    people=(collapse_ws(with_doctor.group(1)),), price=price,
                )  # fmt: skip
            return _reading(
                "offer",
                "weak" if weak else "explicit",
                "practice",
                "we offer" if not weak else "we might",
                mention,
                price=price,
            )
    match = _FIRST_NAME_SUBJECT.match(clause)
    if (
        match
        and _after(match, mention, a)
        and not find_terms(match.group("who"))
        and match.group("who").lower() not in _NOT_SUBJECTS
    ):
        return _reading(
            "offer", "explicit", "person", "person offers", mention,
            people=(match.group("who"),), price=price,
        )  # fmt: skip
    for match in _PRONOUN_SUBJECT.finditer(clause):
        if _after(match, mention, a) and not _HEDGE.search(match.group("between")):
            if match.group("who") == "I" and _SINGULAR_FIRST_PERSON_HEDGE.search(clause):
                break  # a patient's story, not the doctor's
            return _reading("offer", "explicit", "pronoun", "pronoun offers", mention, price=price)
    by = _BY.search(sentence[mention.end :]) or _BY.search(clause)
    if by:
        # "... by Lauren Becker, RN, following protocols set by Dr. Hollings": who performs it,
        # not who supervises
        who_text = _SUPERVISION.split(by.group("who"), maxsplit=1)[0]
        named = _people_in(who_text)
        if named:
            return _reading(
                "offer", "explicit", "person", "performed by", mention, people=named,
                exclusive=bool(_EXCLUSIVE.search(sentence)),
            )  # fmt: skip
        if _BY_PRACTICE.match(who_text):
            return _reading("offer", "explicit", "practice", "performed by us", mention)
    available = _AVAILABLE.search(sentence[mention.end :])
    if available and not _HEDGE.search(sentence[: mention.start]):
        if _AT_OURS.search(available.group("rest")):
            return _reading("offer", "explicit", "practice", "available here", mention)
        return _reading("offer", "weak", "practice", "available", mention)
    our = re.search(
        rf"\bour\s+(?:(?:{_OUR_TERM_WORDS})[\s-]+){{0,2}}$", sentence[: mention.start], re.I
    ) or re.search(r"(?:'s|’s)\s+$", sentence[: mention.start])
    if our:
        owner = sentence[: our.start()].rstrip()
        if our.group(0).startswith(("'", "’")):
            named = _people_in(owner[-60:] + "'s") or _people_in(owner[-60:])
            if named:
                return _reading(
                    "offer", "explicit", "person", "person's own", mention, people=named
                )
            if _PRACTICE_NAME_SUBJECT.search(owner[-80:] + "'s "):
                return _reading("offer", "explicit", "practice", "practice's own", mention)
        else:
            return _reading("offer", "explicit", "practice", "our treatment", mention)
    if price and not _PRICE_HEDGE.search(sentence):
        return _reading("offer", "explicit", "practice", "price", mention, price=price)
    if _CTA.search(sentence) and not _HEDGE.search(sentence[: mention.start]):
        strong = _CTA_STRONG.search(sentence)
        return _reading(
            "offer", "explicit" if strong else "weak", "practice", "call to action", mention,
        )  # fmt: skip
    if re.search(
        r"^\W*(?:is|are)\s+(?:one of\s+)?our\b", sentence[mention.end :], re.I
    ) or re.search(
        r"\b(?:is|are)\s+(?:one of\s+)?our\s+(?:most\s+)?(?:popular|requested|signature|favorite|"
        r"favourite|best[- ]selling)\b",
        sentence,
        re.I,
    ):
        return _reading("offer", "explicit", "practice", "one of ours", mention)
    with_doctor = re.match(rf"\s+(?:\w+\s+){{0,2}}?with\s+({_DR})", sentence[mention.end :])
    if with_doctor:
        return _reading(
            "offer", "explicit", "person", "with the doctor", mention,
            people=(collapse_ws(with_doctor.group(1)),),
        )  # fmt: skip
    if re.search(r"\b(?:we|our)\b", clause, re.I) and re.search(
        r"\b(?:recommend|suggest|combine|pair|add)\b", clause, re.I
    ):
        return _reading("offer", "weak", "practice", "we recommend", mention)
    if re.search(
        r"\b(?:our patients|in our experience|we(?:'ve| have)? (?:seen|found)|our results)\b",
        sentence,
        re.I,
    ):
        return _reading("offer", "weak", "practice", "our patients", mention)
    if _LIST_ENTRY.match(sentence):
        return _reading("offer", "weak", "none", "list entry", mention)
    return _reading("mention", "none", "none", "mention", mention, people=people)
