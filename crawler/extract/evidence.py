"""Microneedling statements of one page: every main-region sentence that names the procedure,
read as an offer, a refusal or a mention (crawler/extract/statements.py), with its subject and
its strength on this kind of page (crawler/extract/pages.py).

No quote, no claim: every entry carries the sentence (or list entry, heading, or structured-data
text) it came from, verbatim. The site decides who each statement applies to
(crawler/extract/scope.py); a page only says what it can see: the person whose bio, card or table
row holds the sentence, the people the sentence names, the office it places the treatment in.

Strength, weakest first: `none` (a mention; never evidence of an offer), `weak` (counts only as
the practice's own treatment page's wording), `convention` (a treatment page, a services list),
`markup` (structured data), `explicit` (an offer statement).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from crawler.extract.category import read_category_refusal
from crawler.extract.html_text import HEADING_TAGS, Block, text_blocks
from crawler.extract.normalise import collapse_ws
from crawler.extract.pages import PageKind, classify_page
from crawler.extract.statements import (
    Reading,
    find_price,
    is_refusal,
    read_sentence,
    split_sentences,
)
from crawler.extract.terms import find_terms

__all__ = [
    "PageContext",
    "evidence_from_blocks",
    "evidence_from_html",
    "find_price",
    "is_negated",
    "rank_evidence",
    "split_sentences",
]

is_negated = is_refusal  # the name the rest of the crawler has always used

STRENGTH_ORDER = {"explicit": 0, "markup": 1, "convention": 2, "weak": 3, "none": 4}
NEIGHBOUR_BLOCKS = 3
LABEL_WORDS = 8  # a services list entry is short: "SkinPen® Microneedling – $350"
_SERVICES_HEADING = re.compile(
    r"\b(?:services|treatments|procedures|what we (?:offer|do|treat)|our offerings|menu|pricing|"
    r"price list|cosmetic|aesthetic|specials|we offer|we provide)\b",
    re.I,
)
_YES = re.compile(r"^(?:yes|yes!|absolutely|of course|definitely|we do|certainly)\b", re.I)
_NO = re.compile(r"^(?:no|unfortunately|sorry|not at this time)\b", re.I)


@dataclass
class PageContext:
    """What the page around a sentence says about whose sentence it is."""

    url: str
    seen_at: str
    kind: PageKind = field(default_factory=lambda: PageKind("other", "a page"))
    subject: str | None = None  # the person a bio page is about
    card_of: Callable[[int], str | None] = lambda index: None  # block index -> person key
    nearest_person: Callable[[int], str | None] = lambda index: None


def _price_after(blocks: list[Block], index: int) -> str | None:
    """A price in the next few blocks ("<td>$300</td>", an FAQ answer), unless another mention of
    the procedure comes first (then the price is that mention's)."""
    for block in blocks[index + 1 : index + 1 + NEIGHBOUR_BLOCKS]:
        if find_terms(block.text):
            return None
        price = find_price(block.text)
        if price:
            return price
    return None


def _entry(
    reading: Reading, quote: str, context: PageContext, *, strength: str | None = None,
    person: str | None = None, basis: str | None = None, price: str | None = None,
) -> dict:  # fmt: skip
    person_scoped = person is not None or reading.agent == "person"
    return {
        "procedure": "microneedling",
        "term": reading.term,
        "quote": quote,
        "url": context.url,
        "seen_at": context.seen_at,
        "negated": reading.polarity == "refusal",
        "scope": "practitioner" if person_scoped else "practice",
        "price": price if price is not None else reading.price,
        "statement": reading.polarity,
        "strength": strength or reading.strength,
        "basis": basis or f"{reading.rule} ({context.kind.reason})",
        "page_kind": context.kind.kind,
        "person": person,
        "people": list(reading.people) if reading.agent == "person" else [],
        "exclusive": reading.exclusive,
        "places": list(reading.places),
        "place_only": reading.place_only,
    }


def _section_heading(blocks: list[Block], index: int) -> str:
    for block in reversed(blocks[:index]):
        if block.tag in HEADING_TAGS:
            return block.text
    return ""


# A link's or a teaser's words, not a services list entry: "New: read about microneedling".
_NOT_A_LABEL = re.compile(
    r"\b(?:read|learn|more|blog|article|post|news|new|click|here|about|faq|what|why|how|when|"
    r"guide|tips|vs\.?|versus|myths?|facts?|benefits|risks|before|after|video|watch|education|"
    r"resources?|library|patient|explained|questions|study|research)\b",
    re.I,
)


def _is_label(block: Block) -> bool:
    """A services list entry: a short line naming the treatment, perhaps with its price."""
    if block.tag not in ("li", "td", "dd", "dt", "th", "h2", "h3", "h4", "h5", "h6", "p", "div"):
        return False
    text = block.text
    if len(text.split()) > LABEL_WORDS or text.rstrip().endswith("?") or _NOT_A_LABEL.search(text):
        return False
    return not re.search(r"\b(?:is|are|was|were|can|will|may|has|have)\b", text, re.I)


def _answer_after(
    sentences: list[str], position: int, blocks: list[Block], index: int
) -> str | None:
    if position + 1 < len(sentences):
        return sentences[position + 1]
    for block in blocks[index + 1 : index + 2]:
        following = split_sentences(block.text)
        if following:
            return following[0]
    return None


def _read(
    sentence: str, block_index: int, main: list[Block], context: PageContext, card: str | None,
    reading: Reading | None = None,
):  # fmt: skip
    """The entry for one sentence, its scope settled as far as the page can see."""
    reading = reading or read_sentence(sentence)
    if reading is None:
        return None
    person = None
    strength = reading.strength
    basis = None
    if reading.agent == "pronoun":
        person = card or context.subject or context.nearest_person(block_index)
        if person is None:
            strength = "weak"
    elif reading.agent != "person" and reading.rule == "list entry":
        person = card or context.subject
        if person is not None:
            strength, basis = "explicit", "listed among the person's own treatments"
        elif context.kind.kind != "article":
            strength, basis = "convention", "listed among the practice's services"
    elif (
        context.subject
        and reading.agent in ("practice", "none")
        and not _FIRST_PERSON.search(sentence)
        and reading.rule not in ("practice offers", "practice's own")
    ):
        # An impersonal sentence on a doctor's own page ("Microneedling is not offered by ...",
        # "Clinical focus: ...") is about that doctor.
        person = context.subject
    if reading.polarity == "offer" and strength == "weak" and context.kind.kind == "treatment":
        strength, basis = "convention", f"{reading.rule} (the practice's page for the treatment)"
    if reading.polarity == "refusal" and person is None and reading.agent == "pronoun":
        return None
    return _entry(reading, sentence, context, strength=strength, person=person, basis=basis)


# A sentence that goes on about the treatment the one before named: "It is not offered at our
# Georgetown or Pflugerville clinics."
_FOLLOW_UP = re.compile(
    r"^(?:It|This (?:treatment|procedure|service|device|therapy)|The (?:treatment|procedure|"
    r"service|device|therapy))\b",
)


def _follow_up(
    previous: str, sentence: str, block_index: int, main: list[Block], context: PageContext,
    card: str | None,
) -> dict | None:  # fmt: skip
    """The entry for a sentence whose subject is the treatment the previous sentence named, quoted
    with that sentence; only when it offers or refuses (a follow-up that explains is nothing)."""
    match = _FOLLOW_UP.match(sentence)
    mentions = find_terms(previous)
    if not match or not mentions:
        return None
    surrogate = mentions[-1].written + sentence[match.end() :]
    entry = _read(surrogate, block_index, main, context, card)
    if entry is None or entry["statement"] == "mention" or entry["strength"] != "explicit":
        return None
    return dict(
        entry, quote=f"{previous} {sentence}", basis=f"{entry['basis']}; of: {mentions[-1].written}"
    )


def evidence_from_blocks(
    blocks: list[Block],
    url: str,
    seen_at: str,
    scope: str = "practice",
    context: PageContext | None = None,
) -> list[dict]:
    """Statement entries for every main-region sentence of a page that names the procedure.

    `blocks` are the page's blocks (all regions: indexes match the page's card map); `scope` is the
    legacy whole-page scope ("practitioner" makes every entry the page subject's).
    """
    context = context or PageContext(url=url, seen_at=seen_at)
    indexed = [(i, b) for i, b in enumerate(blocks) if b.region == "main" and b.tag != "img"]
    main = [b for _i, b in indexed]
    result: list[dict] = []
    seen_quotes: set[str] = set()
    for position_in_main, (block_index, block) in enumerate(indexed):
        card = context.card_of(block_index)
        sentences = split_sentences(block.text)
        for position, sentence in enumerate(sentences):
            mentions = find_terms(sentence)
            category = None if mentions else read_category_refusal(sentence)
            if category is not None and sentence not in seen_quotes:
                entry = _read(sentence, block_index, main, context, card, reading=category)
                if entry is not None:
                    seen_quotes.add(sentence)
                    result.append(entry)
                continue
            if not mentions and position > 0:
                follow_up = _follow_up(
                    sentences[position - 1], sentence, block_index, main, context, card
                )
                if follow_up is not None and follow_up["quote"] not in seen_quotes:
                    seen_quotes.add(follow_up["quote"])
                    result.append(follow_up)
                continue
            if not mentions or sentence in seen_quotes:
                continue
            seen_quotes.add(sentence)
            entry = _read(sentence, block_index, main, context, card)
            if entry is None:
                continue
            if entry["statement"] == "mention" and sentence.rstrip(" \"”'").endswith("?"):
                answer = _answer_after(sentences, position, main, position_in_main)
                if answer and not find_terms(answer) and (_YES.match(answer) or _NO.match(answer)):
                    polarity = "offer" if _YES.match(answer) else "refusal"
                    entry = dict(
                        entry, quote=answer, statement=polarity, strength="explicit",
                        negated=polarity == "refusal", basis=f"the answer to “{sentence}”",
                    )  # fmt: skip
                    seen_quotes.add(answer)
                else:
                    continue  # a question claims nothing, and says nothing worth quoting
            elif entry["statement"] == "mention" and _is_label(block) and card is None:
                heading = _section_heading(main, position_in_main)
                listed = context.kind.kind in ("menu", "home") or _SERVICES_HEADING.search(heading)
                if listed and context.kind.kind != "article" and len(block.lines) == 1:
                    entry = dict(
                        entry, statement="offer", strength="convention",
                        basis="listed among the practice's services",
                    )  # fmt: skip
            if entry["price"] is None and entry["statement"] == "offer":
                following = sentences[position + 1] if position + 1 < len(sentences) else None
                if following and not find_terms(following):
                    entry["price"] = find_price(following)
                if entry["price"] is None and position == len(sentences) - 1:
                    entry["price"] = _price_after(main, position_in_main)
            if scope == "practitioner" and entry["person"] is None and not entry["people"]:
                entry["person"] = context.subject
                entry["scope"] = "practitioner"
            result.append(entry)
    kind = context.kind
    if (
        kind.kind == "treatment"
        and kind.heading
        and not any(
            e["statement"] in ("offer", "refusal") and e["strength"] != "weak" for e in result
        )
    ):
        reading = read_sentence(kind.heading)
        if reading is not None:
            result.append(
                _entry(
                    Reading("offer", "convention", "practice", rule="treatment page", term=reading.term),
                    kind.heading, context, basis="the practice's page for the treatment",
                    person=context.subject, price=_first_price(main),
                )
            )  # fmt: skip
    return result


def _first_price(main: list[Block]) -> str | None:
    for block in main:
        price = find_price(block.text)
        if price:
            return price
    return None


def markup_offer_entries(offers: list[dict], context: PageContext) -> list[dict]:
    """Entries for offers stated only in structured data (makesOffer, hasOfferCatalog...)."""
    entries = []
    for offer in offers:
        reading = Reading("offer", "markup", "person" if offer.get("person") else "practice",
                          rule="structured data", term=offer["term"])  # fmt: skip
        entry = _entry(
            reading, collapse_ws(offer["quote"]), context, person=offer.get("person"),
            basis="the practice's structured data (schema.org offer)",
        )  # fmt: skip
        entry["people"] = []
        entry["source"] = "markup"
        entries.append(entry)
    return entries


def evidence_from_html(
    html: str | bytes, url: str, seen_at: str, scope: str = "practice"
) -> list[dict]:
    """Statement entries for a page read on its own (navigation, footers and testimonials ignored)."""
    blocks = text_blocks(html)
    context = PageContext(url=url, seen_at=seen_at, kind=classify_page(url, blocks))
    return evidence_from_blocks(blocks, url, seen_at, scope, context)


_OFFER_VERB = re.compile(
    r"\b(?:offers?|provides?|performs?|available|book|schedule|treat(?:s|ments?)?)\b", re.I
)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us)\b", re.I)


def quote_quality(entry: dict) -> int:
    """How plainly a quote says "we offer it": offer verbs, first person, a price, its length."""
    quote = entry.get("quote") or ""
    return (
        2 * bool(_OFFER_VERB.search(quote))
        + bool(_FIRST_PERSON.search(quote))
        + bool(entry.get("price"))
        + (len(quote.split()) >= 6)
    )


def rank_evidence(evidence: list[dict]) -> list[dict]:
    """Offers first, then refusals, then mentions; within each the strongest statement, then the
    plainest quote (stable, so among equals the site's page order decides)."""
    order = {"offer": 0, "refusal": 1, "mention": 2}

    def key(entry: dict):
        statement = entry.get("statement") or ("refusal" if entry.get("negated") else "offer")
        return (
            order.get(statement, 3),
            STRENGTH_ORDER.get(entry.get("strength") or "explicit", 5),
            entry.get("source") == "markup",
            -quote_quality(entry),
        )

    return sorted(evidence, key=key)
