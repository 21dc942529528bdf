"""The procedure vocabulary of data/procedures.json: where a text names microneedling, under which
of its names (plain, synonyms, devices and brands), and the refusal cues.

Pure apart from reading the vocabulary file once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from crawler.extract.normalise import DATA_DIR


@dataclass(frozen=True)
class Mention:
    """One place a text names a procedure: the vocabulary's spelling of the term, as written, where."""

    procedure: str
    term: str
    written: str
    start: int
    end: int


@dataclass(frozen=True)
class Vocabulary:
    """Terms per procedure and refusal cues, compiled from data/procedures.json."""

    terms: tuple[tuple[str, str, re.Pattern[str]], ...]  # (procedure, term, pattern), longest first
    negation: re.Pattern[str]
    any_term: re.Pattern[str]  # a quick "might it name the procedure?" (false alarms are fine)


def _term_pattern(term: str) -> str:
    pieces = re.split(r"[\s-]+", term)
    return r"[\s-]?".join(re.escape(piece) for piece in pieces)


@cache
def vocabulary() -> Vocabulary:
    """The compiled vocabulary (read once)."""
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
    # The pre-check only needs a fragment every spelling of a term contains: the first six
    # letters of its longest word, found with no look-arounds (so it is one fast scan).
    fragments = sorted(
        {max(re.split(r"[\s-]+", term.lower()), key=len)[:6] for _pr, term, _p in terms}
    )
    any_term = re.compile("|".join(re.escape(f) for f in fragments), re.I)
    return Vocabulary(terms=tuple(terms), negation=negation, any_term=any_term)


def names_procedure(text: str) -> bool:
    """False when `text` cannot name the procedure (a fast pre-check; True may be a false alarm)."""
    return bool(vocabulary().any_term.search(text))


def find_terms(text: str) -> list[Mention]:
    """Every non-overlapping mention in `text`, in order; the longest term wins an overlap."""
    if not names_procedure(text):
        return []
    mentions: list[Mention] = []
    for procedure, term, pattern in vocabulary().terms:  # longest terms first
        for match in pattern.finditer(text):
            if all(match.end() <= m.start or match.start() >= m.end for m in mentions):
                mentions.append(
                    Mention(procedure, term, match.group(0), match.start(), match.end())
                )
    return sorted(mentions, key=lambda mention: mention.start)
