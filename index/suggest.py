"""Did you mean (pure but for reading the vocabulary off a Whoosh reader, and its per-generation
file): the words a patient probably meant when a search finds nothing.

The vocabulary is read off the index once, at build time, and written beside it as
`spelling.json` (SPELLING_FILE); a generation loads it when it opens, so no patient's request pays
for building it. A generation written before the file existed builds it on first use instead.

Owns: SpellingVocabulary, correct_word, suggest, max_edits, SPELLING_FILE. Must not import: the
store, the build, search_web or crawler.
"""

from __future__ import annotations

import json
import os
from collections.abc import Container
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from index.query import lay_terms
from index.records import SPECIALTY_SLUGS
from index.schema import specialty_words, text_analyzer

# "Did you mean": words shorter than this are initials or noise, never corrected nor suggested.
SUGGEST_MIN_LENGTH = 3
# Extra words worth suggesting although they name no listing: how patients spell the specialties.
SUGGEST_EXTRA_WORDS = ("dermatologist", "dermatologists", "surgeon", "surgeons", "cosmetic")
SPELLING_FILE = "spelling.json"
FORMAT = 1


@lru_cache(maxsize=8192)
def _stems(word: str) -> tuple[str, ...]:
    return tuple(token.text for token in _analyzer()(word))


@lru_cache(maxsize=1)
def _analyzer():
    return text_analyzer()


def warm_suggest() -> None:
    """Build what the first "did you mean" would otherwise build (the analyzer, a typo's stems
    and rapidfuzz's first comparison), so no patient's request pays for it."""
    vocabulary = SpellingVocabulary(terms={"microneedling": 0}, names={}, known_stems=frozenset())
    correct_word("microneedlng", vocabulary)


@dataclass
class SpellingVocabulary:
    """The words "did you mean" may suggest: the procedure and specialty vocabulary first, then the
    names and places in the index, each with how many listings contain it."""

    terms: dict[str, int]  # procedure/specialty word -> 0 (a dict only to look like `names`)
    names: dict[str, int]  # word from a name, practice or place -> document frequency
    known_stems: Container[str]  # every stemmed word of the text field: such words are not typos
    # pool -> word length -> its words: a typo is only compared with words of about its length
    _by_length: tuple[dict[int, list[str]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pools = []
        for pool in (self.terms, self.names):
            by_length: dict[int, list[str]] = {}
            for word in pool:
                by_length.setdefault(len(word), []).append(word)
            pools.append(by_length)
        self._by_length = tuple(pools)

    @classmethod
    def from_searcher(cls, searcher: Searcher) -> SpellingVocabulary:
        return cls.from_reader(searcher.reader())

    @classmethod
    def from_reader(cls, reader: IndexReader) -> SpellingVocabulary:
        names = {}
        spelling = reader.schema["spelling"]
        for text, info in reader.iter_field("spelling"):
            word = spelling.from_bytes(text)
            if len(word) >= SUGGEST_MIN_LENGTH and word.isalpha():
                names[word] = info.doc_frequency()
        vocabulary_words = [*SUGGEST_EXTRA_WORDS]
        for phrase in lay_terms():
            vocabulary_words += phrase.split()
        for slug in SPECIALTY_SLUGS:
            vocabulary_words += specialty_words(slug).split()
        terms = {
            word: 0
            for word in vocabulary_words
            if len(word) >= SUGGEST_MIN_LENGTH and word.isalpha()
        }
        return cls(
            terms=terms,
            names=names,
            known_stems=frozenset(reader.field_terms("text")),
        )

    # --- the per-generation file ----------------------------------------------------------------

    def write(self, path: Path) -> None:
        body = {
            "format": FORMAT,
            "terms": sorted(self.terms),
            "names": self.names,
            "known_stems": sorted(self.known_stems),  # type: ignore[type-var]
        }
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(json.dumps(body, separators=(",", ":"), sort_keys=True), encoding="utf-8")
        os.replace(temp, path)

    @classmethod
    def read(cls, path: Path) -> SpellingVocabulary | None:
        """The vocabulary written at build time; None when the generation has none (or it is of
        another format), so the caller builds it from the index instead."""
        try:
            body = json.loads(Path(path).read_bytes())
        except FileNotFoundError:
            return None
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            return None
        return cls(
            terms=dict.fromkeys(body["terms"], 0),
            names={str(k): int(v) for k, v in body["names"].items()},
            known_stems=frozenset(body["known_stems"]),
        )

    def is_known(self, word: str) -> bool:
        if word in self.terms or word in self.names:
            return True
        # A stop word analyses to nothing; it is not a typo either.
        return all(stem in self.known_stems for stem in _stems(word))

    def near_length(self, preference: int, length: int, limit: int) -> list[str]:
        """The words of one pool (0: terms, 1: names) within `limit` letters of `length`."""
        by_length = self._by_length[preference]
        return [
            w for size in range(length - limit, length + limit + 1) for w in by_length.get(size, ())
        ]


def max_edits(word: str) -> int:
    """Edits allowed when correcting `word`: one for short words, two from six letters on."""
    return 1 if len(word) < 6 else 2


def correct_word(word: str, vocabulary: SpellingVocabulary) -> str | None:
    """The closest vocabulary word (Damerau-Levenshtein), or None if none is close enough.

    Ties on distance prefer procedure and specialty words, then the word in more listings.
    """
    if len(word) < SUGGEST_MIN_LENGTH or not word.isalpha() or vocabulary.is_known(word):
        return None
    limit = max_edits(word)
    best: tuple[int, int, int, str] | None = None
    for pool, preference in ((vocabulary.terms, 0), (vocabulary.names, 1)):
        # Never "correct" to a word half the typed length away, e.g. "ruz" -> "rf": only words
        # within `limit` letters of the typed length are compared at all.
        choices = vocabulary.near_length(preference, len(word), limit)
        matches = process.extract(
            word, choices, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None
        )
        for candidate, distance, _ in matches:
            if distance == 0:
                continue
            frequency = pool[candidate] if preference else 0
            key = (int(distance), preference, -frequency, candidate)
            if best is None or key < best:
                best = key
    return None if best is None else best[3]


def suggest(words: list[str], vocabulary: SpellingVocabulary) -> str | None:
    """The patient's words with misspellings replaced, or None when there is nothing to correct."""
    corrected = [correct_word(word, vocabulary) or word for word in words]
    return " ".join(corrected) if corrected != words else None
