"""Patient text -> Whoosh query (pure). Nothing typed is ever parsed as query syntax.

The text is cut into words by the schema's own analyzer, so `title:x`, `a*`, `[a TO b]`, `"`, `AND`
and friends are just words. Phrases that mean microneedling ("acne scars", "SkinPen", ...) become a
filter on listings that offer it, instead of words that must appear in the text.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh.query import And, Or, Query, Term

from index.schema import text_analyzer

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
MAX_TERMS = 12  # words past the 12th are dropped: long pasted text should not cost a huge query
NAME_BOOST = 3.0
QUERY_STOP_WORDS = {"dr", "doctor", "doctors", "near", "me", "best", "top", "find"}
DATA_DIR = Path(__file__).resolve().parents[1] / "data"


class SearchError(ValueError):
    """A user-facing problem with the request (HTTP 400); the message is safe to show a patient."""


@dataclass
class ParsedQuery:
    terms: list[str] = field(default_factory=list)  # analysed (stemmed) words, deduplicated
    words: list[str] = field(default_factory=list)  # the same words unstemmed, for "did you mean"
    wants_procedure: bool = False  # a lay term or brand for microneedling was in the text

    @property
    def empty(self) -> bool:
        return not self.terms and not self.wants_procedure


def normalise_phrase(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _strings(value: object) -> list[str]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


@lru_cache(maxsize=4)
def lay_terms(data_dir: Path = DATA_DIR) -> tuple[str, ...]:
    """Normalised phrases meaning microneedling, longest first, from data/synonyms.json and
    data/procedures.json (the crawler's vocabulary; read defensively since another module owns it)."""
    phrases: set[str] = {"microneedling"}
    for name in ("synonyms.json", "procedures.json"):
        path = data_dir / name
        if not path.exists():
            continue
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable vocabulary %s: %s", path, error)
            continue
        if not isinstance(content, dict):
            continue
        phrases.update(_strings(content.get("microneedling")))
        procedures = content.get("procedures")
        entry = procedures.get("microneedling") if isinstance(procedures, dict) else None
        if isinstance(entry, dict):
            for key in ("terms", "lay_terms", "synonyms", "brands"):
                phrases.update(_strings(entry.get(key)))
    normalised = {normalise_phrase(p) for p in phrases} - {""}
    return tuple(sorted(normalised, key=lambda p: (-len(p), p)))


@lru_cache(maxsize=4)
def lay_stems(data_dir: Path = DATA_DIR) -> frozenset[str]:
    """The analysed words of every lay term (what they contribute to a listing's text)."""
    analyzer = text_analyzer()
    return frozenset(token.text for phrase in lay_terms(data_dir) for token in analyzer(phrase))


@lru_cache(maxsize=1)
def _analyzer():
    # one pipeline for every query: building it costs more than analysing a short query
    return text_analyzer()


def parse_patient_text(text: str | None, phrases: tuple[str, ...] | None = None) -> ParsedQuery:
    """Analyse what a patient typed. Raises SearchError when it is too long."""
    if text is None:
        return ParsedQuery()
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(
            f"Your search is {len(text)} characters long; please keep it under {MAX_QUERY_CHARS}."
        )
    phrases = lay_terms() if phrases is None else phrases
    remaining = f" {normalise_phrase(text)} "
    wants_procedure = False
    for phrase in phrases:
        if f" {phrase} " in remaining:
            wants_procedure = True
            remaining = remaining.replace(f" {phrase} ", " ")
    analyzer = _analyzer()
    terms: list[str] = []
    words: list[str] = []
    for word in remaining.split():
        if word in QUERY_STOP_WORDS:
            continue
        for token in analyzer(word):
            if token.text not in terms:
                terms.append(token.text)
                words.append(word)
    return ParsedQuery(
        terms=terms[:MAX_TERMS], words=words[:MAX_TERMS], wants_procedure=wants_procedure
    )


def build_query(parsed: ParsedQuery) -> Query | None:
    """Every word must match the name or the text; None means "no text restriction"."""
    clauses: list[Query] = [
        Or([Term("name", term, boost=NAME_BOOST), Term("text", term)]) for term in parsed.terms
    ]
    if parsed.wants_procedure:
        clauses.append(Term("offers", "yes"))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else And(clauses)
