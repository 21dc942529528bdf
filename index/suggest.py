"""Did you mean (pure but for reading the vocabulary off a Whoosh searcher): the words a patient
probably meant when a search finds nothing.

Owns: SpellingVocabulary, correct_word, suggest, max_edits. Must not import: the store, the build,
search_web or crawler.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.searching import Searcher

from index.query import lay_terms
from index.records import SPECIALTY_SLUGS
from index.schema import specialty_words, text_analyzer

# "Did you mean": words shorter than this are initials or noise, never corrected nor suggested.
SUGGEST_MIN_LENGTH = 3
# Extra words worth suggesting although they name no listing: how patients spell the specialties.
SUGGEST_EXTRA_WORDS = ("dermatologist", "dermatologists", "surgeon", "surgeons", "cosmetic")


@dataclass
class SpellingVocabulary:
    """The words "did you mean" may suggest: the procedure and specialty vocabulary first, then the
    names and places in the index, each with how many listings contain it."""

    terms: dict[str, int]  # procedure/specialty word -> 0 (a dict only to look like `names`)
    names: dict[str, int]  # word from a name, practice or place -> document frequency
    known_stems: frozenset[str]  # every stemmed word of the text field: such words are not typos

    @classmethod
    def from_searcher(cls, searcher: Searcher) -> SpellingVocabulary:
        reader = searcher.reader()
        names = {
            word: reader.doc_frequency("spelling", word)
            for word in reader.field_terms("spelling")
            if len(word) >= SUGGEST_MIN_LENGTH and word.isalpha()
        }
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

    def is_known(self, word: str) -> bool:
        if word in self.terms or word in self.names:
            return True
        stems = [token.text for token in text_analyzer()(word)]
        # A stop word analyses to nothing; it is not a typo either.
        return all(stem in self.known_stems for stem in stems)


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
        matches = process.extract(
            word, list(pool), scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None
        )
        for candidate, distance, _ in matches:
            # Never "correct" to a word half the typed length away, e.g. "ruz" -> "rf".
            if distance == 0 or abs(len(candidate) - len(word)) > limit:
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
