"""Microneedling evidence: verbatim sentences from a page's main text that mention the procedure.

No quote, no claim: every Evidence dict carries the sentence it came from. Negated mentions ("we no
longer offer microneedling") are kept with negated=True, because they are evidence of NOT offering.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from crawler.extract.html_text import Block, text_blocks
from crawler.extract.normalise import DATA_DIR, collapse_ws

_ABBREVIATIONS = (
    "Dr",
    "Mr",
    "Mrs",
    "Ms",
    "St",
    "Ste",
    "vs",
    "e.g",
    "i.e",
    "approx",
    "No",
    "Jr",
    "Sr",
    "Inc",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]?\s+(?=[A-Z0-9\"“($])")
_CLAUSE_SPLIT = re.compile(r";|\s[–—]\s|,?\s+(?:but|however|although|though|whereas)\s+", re.I)
_PRICE = re.compile(
    r"(?:(?:from|starting at|starts at|start at|as low as|only)\s+)?\$\s?\d[\d,]*(?:\.\d{2})?"
    r"(?:\s*(?:-|–|to)\s*\$?\s?\d[\d,]*(?:\.\d{2})?)?"
    r"(?:\s*(?:per|/|a|each)\s*(?:session|treatment|visit|area))?",
    re.I,
)
# Restrictions are not refusals: "we do not perform microneedling on patients with active acne".
_RESTRICTION = re.compile(
    r"\b(?:if you|on patients|for patients|on anyone|during pregnancy|pregnant|while you|"
    r"until|within \d|on active|over active|with active)\b",
    re.I,
)


@dataclass(frozen=True)
class Vocabulary:
    """Terms per procedure and negation cues, compiled from data/procedures.json."""

    terms: tuple[tuple[str, str, re.Pattern[str]], ...]  # (procedure, term, pattern)
    negation: re.Pattern[str]


def _term_pattern(term: str) -> str:
    pieces = re.split(r"[\s-]+", term)
    return r"[\s-]?".join(re.escape(piece) for piece in pieces)


@cache
def vocabulary() -> Vocabulary:
    """The compiled microneedling vocabulary (read once)."""
    with open(DATA_DIR / "procedures.json", encoding="utf-8") as handle:
        table = json.load(handle)
    terms = []
    for procedure, entry in table["procedures"].items():
        for term in sorted(entry["terms"], key=len, reverse=True):
            pattern = re.compile(rf"(?<![\w-]){_term_pattern(term)}(?![\w])", re.I)
            terms.append((procedure, term, pattern))
    cues = sorted(table["negations"], key=len, reverse=True)
    negation = re.compile(
        r"(?<!\w)(?:"
        + "|".join(_term_pattern(cue).replace("'", "['’]") for cue in cues)
        + r")(?!\w)",
        re.I,
    )
    return Vocabulary(terms=tuple(terms), negation=negation)


def split_sentences(text: str) -> list[str]:
    """Sentences of a text block; abbreviations such as "Dr." do not end a sentence."""
    pieces = _SENTENCE_END.split(collapse_ws(text))
    sentences: list[str] = []
    for piece in pieces:
        if sentences and sentences[-1].rsplit(" ", 1)[-1].rstrip(".") in _ABBREVIATIONS:
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return [s for s in sentences if s]


def find_terms(text: str) -> list[tuple[str, str, int, int]]:
    """Every non-overlapping (procedure, term as written, start, end) mention in `text`, in order."""
    mentions: list[tuple[str, str, int, int]] = []
    for procedure, _term, pattern in vocabulary().terms:  # longest terms first
        for match in pattern.finditer(text):
            if all(match.end() <= m[2] or match.start() >= m[3] for m in mentions):
                mentions.append((procedure, match.group(0), match.start(), match.end()))
    return sorted(mentions, key=lambda mention: mention[2])


def find_term(text: str) -> tuple[str, str, int, int] | None:
    """The earliest mention in `text` (see find_terms), or None."""
    mentions = find_terms(text)
    return mentions[0] if mentions else None


def is_negated(sentence: str, start: int, end: int) -> bool:
    """True when the clause holding the mention at [start, end) says the procedure is not offered."""
    clause_start, clause_end = 0, len(sentence)
    for boundary in _CLAUSE_SPLIT.finditer(sentence):
        if boundary.end() <= start:
            clause_start = boundary.end()
        elif boundary.start() >= end:
            clause_end = boundary.start()
            break
    clause = sentence[clause_start:clause_end]
    if not vocabulary().negation.search(clause):
        return False
    return not _RESTRICTION.search(clause)


def find_price(text: str) -> str | None:
    """The first price written in `text` ("from $300", "$250 per session"), or None."""
    match = _PRICE.search(text)
    return collapse_ws(match.group(0)) if match else None


def _canonical_term(written: str) -> str:
    for _procedure, term, _pattern in vocabulary().terms:
        if term.lower() == written.lower():
            return term
    for _procedure, term, pattern in vocabulary().terms:
        if pattern.fullmatch(written):
            return term
    return written


NEIGHBOUR_BLOCKS = 3


def _price_after(blocks: list[Block], index: int) -> str | None:
    """A price in the next few blocks ("<td>$300</td>", an FAQ answer), unless another mention of
    the procedure comes first (then the price is that mention's)."""
    for block in blocks[index + 1 : index + 1 + NEIGHBOUR_BLOCKS]:
        if find_term(block.text):
            return None
        price = find_price(block.text)
        if price:
            return price
    return None


def evidence_from_blocks(
    blocks: list[Block], url: str, seen_at: str, scope: str = "practice"
) -> list[dict]:
    """Evidence dicts (docs/ARCHITECTURE.md) for every main-region sentence that mentions a term."""
    main = [block for block in blocks if not block.is_boilerplate]
    result: list[dict] = []
    seen_quotes: set[str] = set()
    for index, block in enumerate(main):
        sentences = split_sentences(block.text)
        for position, sentence in enumerate(sentences):
            mentions = find_terms(sentence)
            # A question ("Do you do microneedling?") claims nothing; its answer is the evidence.
            if not mentions or sentence in seen_quotes or sentence.rstrip(" \"”'").endswith("?"):
                continue
            # One positive mention makes the sentence positive ("we stopped Dermapen; SkinPen replaced it").
            judged = [(is_negated(sentence, m[2], m[3]), m) for m in mentions]
            negated, (procedure, written, _start, _end) = next(
                ((n, m) for n, m in judged if not n), judged[0]
            )
            price = find_price(sentence)
            if (
                price is None
                and position + 1 < len(sentences)
                and not find_term(sentences[position + 1])
            ):
                price = find_price(sentences[position + 1])
            if price is None and position == len(sentences) - 1:
                price = _price_after(main, index)
            seen_quotes.add(sentence)
            result.append(
                {
                    "procedure": procedure,
                    "term": _canonical_term(written),
                    "quote": sentence,
                    "url": url,
                    "seen_at": seen_at,
                    "negated": negated,
                    "scope": scope,
                    "price": price,
                }
            )
    return result


def evidence_from_html(
    html: str | bytes, url: str, seen_at: str, scope: str = "practice"
) -> list[dict]:
    """Evidence dicts for a page (navigation, header, footer and asides ignored)."""
    return evidence_from_blocks(text_blocks(html), url, seen_at, scope)


_OFFER_VERB = re.compile(
    r"\b(?:offers?|provides?|performs?|available|book|schedule|treat(?:s|ments?)?)\b", re.I
)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us)\b", re.I)
_PROCEDURE_PAGE = re.compile(
    r"micro-?needl|collagen|skinpen|dermapen|morpheus|vivace|potenza", re.I
)


def quote_quality(entry: dict) -> int:
    """How plainly a quote says "we offer it": offer verbs, first person, a price, a procedure page."""
    quote = entry.get("quote") or ""
    return (
        2 * bool(_OFFER_VERB.search(quote))
        + bool(_FIRST_PERSON.search(quote))
        + bool(entry.get("price"))
        + bool(_PROCEDURE_PAGE.search(entry.get("url") or ""))
        + (len(quote.split()) >= 6)
    )


def rank_evidence(evidence: list[dict]) -> list[dict]:
    """Positive evidence first, best quote first (stable); the list order is the site's preference."""
    return sorted(evidence, key=lambda e: (bool(e.get("negated")), -quote_quality(e)))
