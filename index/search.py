"""Search over the live index generation: validation, geo filtering, ranking, facets, "did you mean".

Ranking, in order:
- With `near`: people with a location inside the radius (GeoGrid, exact great-circle distance),
  optionally restricted to those matching the text; fresh listings before stale ones, then nearest
  first, then name and id for a stable order. Distance is to the person's nearest location.
- Without `near`: fresh listings before stale ones, then BM25F relevance on the text (name matches
  boosted) multiplied by a listing quality factor: evidence strength (a positive microneedling
  quote > no evidence > only negated; a practitioner-scope quote beats a practice-wide one) and
  freshness (evidence verified within a year). Ties break on name, then id. With no text at all,
  quality alone orders the list.
Stale listings (not seen by any crawl for SKINMAP_STALE_DAYS) always come after fresh ones: their
facts may be out of date, whatever their score.
Hidden listings are never in the index, so they can never be shown. Facet counts (by specialty)
cover every result that passes the other filters, so a patient can see what switching would give.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.filedb.filestore import FileStorage
from whoosh.index import IndexError as WhooshIndexError
from whoosh.searching import Searcher

from index.build import LISTINGS_FILE, current_generation, index_dir
from index.geo import GeoGrid, UnknownPlace, place_for
from index.query import SearchError, build_query, lay_terms, parse_patient_text
from index.records import SPECIALTY_SLUGS, Listing
from index.schema import specialty_words, text_analyzer

__all__ = ["IndexUnavailable", "SearchError", "SearchPage", "SearchRequest", "SearchService"]

log = logging.getLogger(__name__)

RADIUS_RANGE = (1.0, 200.0)
PAGE_RANGE = (1, 1000)
PER_PAGE_RANGE = (1, 100)
PROCEDURES = {"microneedling"}
RELOAD_CHECK_SECONDS = 1.0
# Quality factors (see the module docstring); kept together so the ranking is easy to tune.
QUALITY_OFFERS = {True: 1.5, None: 1.0, False: 0.8}
QUALITY_PRACTITIONER_QUOTE = 1.1
QUALITY_FRESH = 1.1
FRESH_DAYS = 365
# "Did you mean": words shorter than this are initials or noise, never corrected nor suggested.
SUGGEST_MIN_LENGTH = 3
# Extra words worth suggesting although they name no listing: how patients spell the specialties.
SUGGEST_EXTRA_WORDS = ("dermatologist", "dermatologists", "surgeon", "surgeons", "cosmetic")


@dataclass
class SearchRequest:
    near: str | None = None  # "78701" or "Austin, TX"
    radius: float = 25.0  # miles
    specialty: str | None = None  # slug
    procedure: str | None = None  # "microneedling" or None
    q: str | None = None
    page: int = 1
    per_page: int = 20


@dataclass
class SearchPage:
    total: int
    page: int
    per_page: int
    results: list[dict]
    place: dict | None
    suggestion: str | None = None
    facets: dict = field(default_factory=dict)


class IndexUnavailable(RuntimeError):
    """No index generation has been built yet (or CURRENT names a missing one): HTTP 503."""


def _as_int(value: object, name: str, low: int, high: int) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise SearchError(f"{name} must be a whole number between {low} and {high}.") from None
    if isinstance(value, bool) or isinstance(value, float) and value != number:
        raise SearchError(f"{name} must be a whole number between {low} and {high}.")
    if not low <= number <= high:
        raise SearchError(f"{name} must be between {low} and {high}.")
    return number


def validate(req: SearchRequest) -> SearchRequest:
    """A cleaned copy of the request; raises SearchError with a message a patient can act on."""
    try:
        radius = float(req.radius)
    except (TypeError, ValueError):
        raise SearchError("radius must be a number of miles between 1 and 200.") from None
    if isinstance(req.radius, bool) or not math.isfinite(radius):
        raise SearchError("radius must be a number of miles between 1 and 200.")
    if not RADIUS_RANGE[0] <= radius <= RADIUS_RANGE[1]:
        raise SearchError("radius must be between 1 and 200 miles.")
    specialty = (req.specialty or "").strip() or None
    if specialty is not None and specialty not in SPECIALTY_SLUGS:
        raise SearchError(
            f"Unknown specialty {specialty!r}; choose one of: {', '.join(SPECIALTY_SLUGS)}."
        )
    procedure = (req.procedure or "").strip().lower() or None
    if procedure is not None and procedure not in PROCEDURES:
        raise SearchError("procedure must be 'microneedling' or left empty.")
    near = (req.near or "").strip() or None
    if near is not None and len(near) > 100:
        raise SearchError("The place is too long; enter a ZIP code or a city and state.")
    q = req.q if req.q is None else (req.q.strip() or None)
    return SearchRequest(
        near=near,
        radius=radius,
        specialty=specialty,
        procedure=procedure,
        q=q,
        page=_as_int(req.page, "page", *PAGE_RANGE),
        per_page=_as_int(req.per_page, "per_page", *PER_PAGE_RANGE),
    )


def quality(listing: Listing, now: datetime) -> float:
    score = QUALITY_OFFERS.get(listing.offers_microneedling, 1.0)
    evidence = listing.microneedling_evidence or {}
    if listing.offers_microneedling and evidence.get("scope") == "practitioner":
        score *= QUALITY_PRACTITIONER_QUOTE
    if listing.last_verified:
        try:
            verified = datetime.fromisoformat(listing.last_verified.replace("Z", "+00:00"))
            if verified.tzinfo is None:
                verified = verified.replace(tzinfo=UTC)
            if now - verified <= timedelta(days=FRESH_DAYS):
                score *= QUALITY_FRESH
        except ValueError:
            pass  # a malformed date only costs the freshness bonus
    return score


class _Generation:
    """One opened, immutable index generation with its listings and grid held in memory."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self.ix = FileStorage(str(path), supports_mmap=False).open_index()
        by_listing_id: dict[str, Listing] = {}
        with open(path / LISTINGS_FILE, encoding="utf-8") as handle:
            for line in handle:
                listing = Listing.from_json(line)
                by_listing_id[listing.id] = listing
        self.listings: dict[int, Listing] = {}
        with self.ix.reader() as reader:
            for docnum, stored in reader.iter_docs():
                self.listings[docnum] = by_listing_id[stored["id"]]
        self.docnum_by_id = {listing.id: docnum for docnum, listing in self.listings.items()}
        now = datetime.now(UTC)
        self.quality = {docnum: quality(listing, now) for docnum, listing in self.listings.items()}
        self.sort_name = {docnum: listing.name.lower() for docnum, listing in self.listings.items()}
        # The "everything" listing is the most expensive page to sort and never changes per generation.
        self.default_order = sorted(
            self.listings,
            key=lambda d: (
                self.listings[d].stale,
                -self.quality[d],
                self.sort_name[d],
                self.listings[d].id,
            ),
        )
        self.grid = GeoGrid(
            (docnum, location["lat"], location["lon"])
            for docnum, listing in self.listings.items()
            for location in listing.locations
            if location.get("lat") is not None and location.get("lon") is not None
        )
        self._spelling: SpellingVocabulary | None = None

    def spelling(self, searcher: Searcher) -> SpellingVocabulary:
        # Built on the first misspelling, not at open: most generations never need it. Two threads
        # racing here build the same value, so no lock is needed.
        if self._spelling is None:
            self._spelling = SpellingVocabulary.from_searcher(searcher)
        return self._spelling

    def close(self) -> None:
        self.ix.close()


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


class SearchService:
    """Thread-safe: each thread gets its own Whoosh searcher; generations swap when CURRENT changes."""

    def __init__(self, data_dir: Path, check_interval: float = RELOAD_CHECK_SECONDS) -> None:
        self.data_dir = Path(data_dir)
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._local = threading.local()
        self._generation: _Generation | None = None
        self._checked_at = -math.inf
        self._searchers: list[Searcher] = []
        self._closed = False
        self._refresh(force=True)

    # --- generations and searchers ----------------------------------------------------------------

    def _refresh(self, force: bool = False) -> _Generation | None:
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_interval:
            return self._generation
        with self._lock:
            if not force and now - self._checked_at < self.check_interval:
                return self._generation
            self._checked_at = now
            name = current_generation(self.data_dir)
            if name is None:
                return self._generation
            if self._generation is None or self._generation.name != name:
                path = index_dir(self.data_dir) / name
                try:
                    self._generation = _Generation(name, path)
                except (OSError, KeyError, ValueError, WhooshIndexError) as error:
                    # Keep serving the generation we have (or none: requests then get
                    # IndexUnavailable); a broken CURRENT must not take the service down.
                    log.error("cannot open index generation %s: %s", path, error)
                else:
                    log.info("serving index generation %s", name)
            return self._generation

    def _current(self) -> tuple[_Generation, Searcher]:
        if self._closed:
            raise IndexUnavailable("the search service is closed")
        generation = self._refresh()
        if generation is None:
            raise IndexUnavailable("no search index has been built yet; run `skinmap index`")
        local = self._local
        if getattr(local, "generation", None) is not generation:
            old = getattr(local, "searcher", None)
            if old is not None:
                self._forget(old)
            local.searcher = generation.ix.searcher()
            local.generation = generation
            with self._lock:
                self._searchers.append(local.searcher)
        return generation, local.searcher

    def _forget(self, searcher: Searcher) -> None:
        with self._lock:
            if searcher in self._searchers:
                self._searchers.remove(searcher)
        searcher.close()

    @property
    def generation(self) -> str | None:
        generation = self._refresh()
        return generation.name if generation else None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            searchers, self._searchers = self._searchers, []
        for searcher in searchers:
            searcher.close()
        if self._generation is not None:
            self._generation.close()

    # --- public API -------------------------------------------------------------------------------

    def get(self, listing_id: str) -> Listing | None:
        generation, _ = self._current()
        docnum = generation.docnum_by_id.get(listing_id)
        if docnum is None:
            return None
        listing = generation.listings[docnum]
        return None if listing.hidden else Listing.from_json(listing.to_json())

    def search(self, req: SearchRequest) -> SearchPage:
        req = validate(req)
        parsed = parse_patient_text(req.q)
        place = None
        if req.near:
            try:
                place = place_for(req.near)
            except UnknownPlace as error:
                raise SearchError(str(error)) from None
        generation, searcher = self._current()
        query = build_query(parsed)
        listings = generation.listings

        rows: list[tuple[tuple, int, float | None]] = []  # (sort key, docnum, distance)
        if place is not None:
            candidates = generation.grid.candidates_within(place.lat, place.lon, req.radius)
            matching = set(query.docs(searcher)) if query is not None else None
            for docnum, distance in candidates:
                if matching is not None and docnum not in matching:
                    continue
                key = (
                    listings[docnum].stale,
                    distance,
                    generation.sort_name[docnum],
                    listings[docnum].id,
                )
                rows.append((key, docnum, distance))
        elif query is not None:
            for hit in searcher.search(query, limit=None):
                score = hit.score * generation.quality[hit.docnum]
                listing = listings[hit.docnum]
                key = (listing.stale, -score, generation.sort_name[hit.docnum], listing.id)
                rows.append((key, hit.docnum, None))
        else:
            # Already in rank order: the position is the sort key.
            rows = [
                ((position,), docnum, None)
                for position, docnum in enumerate(generation.default_order)
            ]

        if req.procedure == "microneedling":
            rows = [row for row in rows if listings[row[1]].offers_microneedling is True]
        facet_counts: dict[str, int] = {}
        for _, docnum, _ in rows:
            for slug in listings[docnum].specialties:
                facet_counts[slug] = facet_counts.get(slug, 0) + 1
        if req.specialty:
            rows = [row for row in rows if req.specialty in listings[row[1]].specialties]
        rows.sort(key=lambda row: row[0])

        start = (req.page - 1) * req.per_page
        results = [
            listings[docnum].to_result(distance)
            for _, docnum, distance in rows[start : start + req.per_page]
        ]
        suggestion = None
        if not rows and parsed.words:
            suggestion = suggest(parsed.words, generation.spelling(searcher))
        return SearchPage(
            total=len(rows),
            page=req.page,
            per_page=req.per_page,
            results=results,
            place=place.as_dict() if place else None,
            suggestion=suggestion,
            facets={
                "specialty": dict(sorted(facet_counts.items(), key=lambda kv: (-kv[1], kv[0])))
            },
        )
