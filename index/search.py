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
Hidden listings are never in the index, so they can never be shown; one hidden by an admin after
the build is dropped by its patch (index.patches). Facet counts (by specialty) cover every result
that passes the other filters, so a patient can see what switching would give.

Speed and memory: the words come from Whoosh postings (read a block at a time; frequent terms from
dense rows, index.termrows, once a place or a rarer word has narrowed the candidates); everything
else from flat per-document columns (index.columns), never from Listing objects for the whole
index. Ranked result lists are cached per generation and patch version, bounded in size.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import threading
import time
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.filedb.filestore import FileStorage
from whoosh.index import IndexError as WhooshIndexError
from whoosh.searching import Searcher

from index.build import LISTINGS_FILE, current_generation, index_dir
from index.columns import (
    COLUMNS_FILE,
    MANIFEST_FILE,
    OFFERS_CODES,
    OFFERS_VALUES,
    ColumnsError,
    DocColumns,
    Manifest,
    columns_from_listings,
    parse_time,
)
from index.geo import GeoGrid, Place, UnknownPlace, place_for, warm_gazetteer
from index.patches import PATCHES_FILE, Patch, read_patches
from index.query import (
    NAME_BOOST,
    ParsedQuery,
    SearchError,
    lay_stems,
    lay_terms,
    parse_patient_text,
)
from index.records import SPECIALTY_SLUGS, Listing
from index.schema import specialty_words, text_analyzer
from index.termrows import TERM_ROWS_FILE, TermRows, read_postings

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
# BM25F's free parameters (Whoosh's defaults), applied per field and summed.
BM25_K1 = 1.2
BM25_B = 0.75
# Per generation: recent ranked result lists (patients repeat popular searches) and the postings of
# recently used terms, bounded by their total length (8 bytes each).
RESULT_CACHE_SIZE = 256
RESULT_CACHE_DOCS = 1_000_000  # docnums and distances held by all cached results together
POSTINGS_CACHE_SIZE = 2_000_000
ROW_CACHE_SIZE = 32  # dense term rows: doc_count bytes each
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


def column_quality(offers: int, practitioner_quote: int, verified_at: float, now: float) -> float:
    """`quality` computed from a generation's columns (`now` and `verified_at` in Unix seconds)."""
    score = QUALITY_OFFERS.get(OFFERS_VALUES.get(offers), 1.0)
    if offers == OFFERS_CODES[True] and practitioner_quote:
        score *= QUALITY_PRACTITIONER_QUOTE
    if (
        verified_at == verified_at and now - verified_at <= FRESH_DAYS * 86400
    ):  # NaN: never verified
        score *= QUALITY_FRESH
    return score


_YES_TABLE = bytes(1 if code == OFFERS_CODES[True] else 0 for code in range(256))


@dataclass
class _Ranked:
    """One query's matches in rank order, before the specialty filter and paging."""

    order: array  # docnums ("I")
    distances: array | None  # miles ("d"), position by position with `order`, when near a place
    facets: dict[str, int]  # specialty slug -> matches, most first

    @property
    def size(self) -> int:
        return len(self.order) + (len(self.distances) if self.distances is not None else 0)


class _Generation:
    """One opened index generation: Whoosh for the words, flat columns (index.columns) for everything
    else. Only the listings on the page being rendered are read from listings.jsonl.

    Admin patches (index.patches) layer on top: a patched listing's columns are updated in place and
    it renders from the patch; a removed one is dropped from every result. Cached results carry the
    patch version they were computed at.
    """

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self.ix = FileStorage(str(path), supports_mmap=False).open_index()
        try:
            self.columns = DocColumns.read(path / COLUMNS_FILE)
        except ColumnsError:
            if (path / COLUMNS_FILE).exists():
                raise
            # A generation written before columns existed: derive them once from the listings.
            self.columns = columns_from_listings(path / LISTINGS_FILE)
        if self.ix.doc_count_all() != len(self.columns):
            raise ColumnsError(f"{path}: columns and index disagree on the document count")
        columns = self.columns
        self.indexed = len(columns)  # documents in the Whoosh index; patches may add more
        self.docnum_by_id = {listing_id: docnum for docnum, listing_id in enumerate(columns.ids)}
        now = time.time()
        self.quality = array(
            "d",
            map(
                column_quality,
                columns.offers,
                columns.practitioner_quote,
                columns.verified_at,
                itertools.repeat(now),
            ),
        )
        self.removed = bytearray(len(columns))
        self.avg_length = {
            "name": (sum(columns.name_len) / len(columns)) if len(columns) else 1.0,
            "text": (sum(columns.text_len) / len(columns)) if len(columns) else 1.0,
        }
        self.term_rows = TermRows(path / TERM_ROWS_FILE)
        self.manifest = Manifest.read(path / MANIFEST_FILE)
        # Who offered microneedling when the text index was written (patches change `offers`, not
        # the words a listing is found by), as one byte per document and as a docnum list.
        self.indexed_offers = bytes(columns.offers).translate(_YES_TABLE)
        self.indexed_offer_docs = array(
            "I", itertools.compress(range(len(columns)), self.indexed_offers)
        )
        self.grid = GeoGrid(zip(columns.loc_doc, columns.loc_lat, columns.loc_lon, strict=True))
        self.patched: dict[int, Listing | None] = {}
        self.patch_grid = GeoGrid(())
        self.patch_offset = 0
        self.version = 0
        self._lock = threading.Lock()
        self._name_rank: tuple[int, array] | None = None
        self._default: tuple[int, array] | None = None
        self._results_size = 0
        self._results: OrderedDict[tuple, _Ranked] = OrderedDict()
        self._postings: OrderedDict[tuple[str, str], tuple[array, array]] = OrderedDict()
        self._postings_size = 0
        self._rows: OrderedDict[tuple[str, str, str], bytes | None] = OrderedDict()
        self._spelling: SpellingVocabulary | None = None
        # Browsing everyone, and everyone who offers microneedling (what every lay term such as
        # "acne scars" asks for): the commonest lists, worth having before the first patient asks.
        for offers_only in (False, True):
            self.ranked(None, ParsedQuery(), offers_only, None, 0.0)

    def spelling(self, searcher: Searcher) -> SpellingVocabulary:
        # Built on the first misspelling, not at open: most generations never need it. Two threads
        # racing here build the same value, so no lock is needed.
        if self._spelling is None:
            self._spelling = SpellingVocabulary.from_searcher(searcher)
        return self._spelling

    def close(self) -> None:
        self.ix.close()

    # --- listings -------------------------------------------------------------------------------

    def listings(self, docnums: Iterable[int]) -> list[Listing]:
        """The listings of a result page: patched ones from memory, the rest read from the file."""
        found = []
        # Opened per page rather than held: a generation is dropped, never closed, when a newer
        # one goes live, and threads may still be rendering from it.
        with open(self.path / LISTINGS_FILE, "rb") as handle:
            for docnum in docnums:
                patched = self.patched.get(docnum)
                if patched is not None:
                    found.append(patched)
                    continue
                start, end = self.columns.offsets[docnum], self.columns.offsets[docnum + 1]
                found.append(Listing.from_json(os.pread(handle.fileno(), end - start, start)))
        return found

    # --- ranking helpers, cached per patch version ------------------------------------------------

    def name_rank(self) -> array:
        """rank[docnum] = position in (name, id) order: the final tie-break of every ordering."""
        cached = self._name_rank
        if cached is not None and cached[0] == self.version:
            return cached[1]
        columns, version = self.columns, self.version
        ordered = sorted(range(len(columns)), key=lambda d: (columns.sort_names[d], columns.ids[d]))
        rank = array("I", bytes(4 * len(ordered)))
        for position, docnum in enumerate(ordered):
            rank[docnum] = position
        self._name_rank = (version, rank)
        return rank

    def default_order(self) -> array:
        """Everyone not removed: fresh before stale, then quality, then name (kept per version)."""
        cached = self._default
        if cached is not None and cached[0] == self.version:
            return cached[1]
        version, rank = self.version, self.name_rank()
        stale, quality, removed = self.columns.stale, self.quality, self.removed
        order = sorted((d for d in range(len(rank)) if not removed[d]), key=rank.__getitem__)
        order.sort(key=lambda d: (stale[d], -quality[d]))  # stable: name order breaks ties
        self._default = (version, array("I", order))
        return self._default[1]

    def postings(self, searcher: Searcher, fieldname: str, term: str) -> tuple[array, array]:
        key = (fieldname, term)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = read_postings(searcher.reader(), fieldname, term)
        with self._lock:
            self._postings[key] = found
            self._postings_size += len(found[0])
            while self._postings_size > POSTINGS_CACHE_SIZE and len(self._postings) > 1:
                _, (docnums, _) = self._postings.popitem(last=False)
                self._postings_size -= len(docnums)
        return found

    def _remember(self, key: tuple, ranked: _Ranked) -> None:
        with self._lock:
            previous = self._results.pop(key, None)
            if previous is not None:
                self._results_size -= previous.size
            self._results[key] = ranked
            self._results_size += ranked.size
            while len(self._results) > 1 and (
                len(self._results) > RESULT_CACHE_SIZE or self._results_size > RESULT_CACHE_DOCS
            ):
                _, evicted = self._results.popitem(last=False)
                self._results_size -= evicted.size

    def facets(self, order: Iterable[int]) -> dict[str, int]:
        by_mask = Counter(map(self.columns.specialties.__getitem__, order))
        counts: dict[str, int] = {}
        for mask, count in by_mask.items():
            bit = 0
            while mask:
                if mask & 1:
                    slug = self.columns.slugs[bit]
                    counts[slug] = counts.get(slug, 0) + count
                mask >>= 1
                bit += 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def row(self, fieldname: str, term: str) -> bytes | None:
        """The term's dense row (index.termrows) when it is frequent, else None (cached)."""
        key = ("row", fieldname, term)
        with self._lock:
            if key in self._rows:
                self._rows.move_to_end(key)
                return self._rows[key]
        row = self.term_rows.row(fieldname, term)
        with self._lock:
            self._rows[key] = row
            while len(self._rows) > ROW_CACHE_SIZE:
                self._rows.popitem(last=False)
        return row

    def text_scores(
        self, searcher: Searcher, terms: list[str], candidates: Iterable[int] | None = None
    ) -> dict[int, float]:
        """BM25F over the name (boosted) and text fields; every term must match one of them.

        Terms go rarest first, so the set still in play shrinks fast; once it is known (after the
        first term, or from `candidates`, e.g. the people near a place) a frequent term is looked up
        in its dense row for just those documents instead of reading all its postings. Lay terms
        count once in the text of every listing that offers microneedling when the generation left
        them out of the index (index.schema.document_for).
        """
        reader = searcher.reader()
        count = max(1, reader.doc_count_all())
        implied = self.manifest.lay_terms_implied
        lay = lay_stems() if implied else frozenset()
        sources: dict[str, list[tuple[str, float, array, int, float]]] = {}
        for term in terms:
            sources[term] = []
            for fieldname, boost, lengths in (
                ("name", NAME_BOOST, self.columns.name_len),
                ("text", 1.0, self.columns.text_len),
            ):
                frequency = reader.doc_frequency(
                    fieldname, searcher.schema[fieldname].to_bytes(term)
                )
                extra = 0.0
                if fieldname == "text" and term in lay:
                    extra = float(self.manifest.lay_term_frequency.get(term, 1))
                    frequency = self.manifest.lay_document_frequency.get(
                        term, frequency + len(self.indexed_offer_docs)
                    )
                if frequency:
                    sources[term].append((fieldname, boost, lengths, frequency, extra))
        scores = None if candidates is None else dict.fromkeys(candidates, 0.0)
        k1, b = BM25_K1, BM25_B
        order = sorted(terms, key=lambda t: sum(source[3] for source in sources[t]))
        for term in order:
            if scores is not None and not scores:
                return {}
            term_scores: dict[int, float] = {}
            for fieldname, boost, lengths, frequency, extra in sources[term]:
                idf = boost * (math.log(count / (frequency + 1)) + 1)
                average = self.avg_length[fieldname] or 1.0
                for docnum, weight in self._weights(searcher, fieldname, term, scores, extra):
                    norm = k1 * ((1 - b) + b * lengths[docnum] / average)
                    score = idf * (weight * (k1 + 1)) / (weight + norm)
                    term_scores[docnum] = term_scores.get(docnum, 0.0) + score
            if scores is None:
                scores = term_scores
            else:
                scores = {d: s + scores[d] for d, s in term_scores.items()}
        return scores or {}

    def _weights(
        self,
        searcher: Searcher,
        fieldname: str,
        term: str,
        within: dict[int, float] | None,
        extra: float,
    ) -> Iterable[tuple[int, float]]:
        """(docnum, weight) of the term in the field, for the documents `within` (all when None);
        `extra` is added for listings that offered microneedling at build time (implied lay terms)."""
        indexed = self.indexed
        offered = self.indexed_offers
        row = self.row(fieldname, term) if within is not None else None
        if row is not None:
            if not extra:
                return ((d, row[d]) for d in within if d < indexed and row[d])
            pairs = ((d, row[d] + extra * offered[d]) for d in within if d < indexed)
            return ((d, w) for d, w in pairs if w)
        docnums, weights = self.postings(searcher, fieldname, term)
        if not extra:
            pairs = zip(docnums, weights, strict=True)
            return pairs if within is None else ((d, w) for d, w in pairs if d in within)
        found = dict(zip(docnums, weights, strict=True))
        if within is None:
            for docnum in self.indexed_offer_docs:
                found[docnum] = found.get(docnum, 0.0) + extra
            return found.items()
        pairs = ((d, found.get(d, 0.0) + extra * offered[d]) for d in within if d < indexed)
        return ((d, w) for d, w in pairs if w)

    def ranked(
        self,
        searcher: Searcher | None,  # None only when there are no words to look up
        parsed: ParsedQuery,
        procedure: bool,
        place: Place | None,
        radius: float,
    ) -> _Ranked:
        """Every match of the text, procedure filter and place, in rank order, with facets (cached)."""
        offers_only = procedure or parsed.wants_procedure
        where = (place.lat, place.lon, radius) if place is not None else None
        key = (self.version, tuple(parsed.terms), offers_only, where)
        with self._lock:
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
                return found
        columns = self.columns
        offers, stale, removed = columns.offers, columns.stale, self.removed
        yes = OFFERS_CODES[True]
        miles = None
        if place is not None:
            distances = self.within(place.lat, place.lon, radius)
            docs = [d for d in distances if not removed[d]]
            if parsed.terms and docs:
                matching = self.text_scores(searcher, parsed.terms, candidates=docs)
                docs = [d for d in docs if d in matching]
            if offers_only:
                docs = [d for d in docs if offers[d] == yes]
            rank = self.name_rank()
            docs.sort(key=lambda d: (stale[d], distances[d], rank[d]))
            order = array("I", docs)
            miles = array("d", map(distances.__getitem__, docs))
        elif parsed.terms:
            scores = self.text_scores(searcher, parsed.terms)
            docs = [d for d in scores if not removed[d]]
            if offers_only:
                docs = [d for d in docs if offers[d] == yes]
            quality, rank = self.quality, self.name_rank()
            docs.sort(key=rank.__getitem__)
            docs.sort(key=lambda d: (stale[d], -scores[d] * quality[d]))  # stable: name breaks ties
            order = array("I", docs)
        else:
            order = self.default_order()
            if offers_only:
                order = array("I", (d for d in order if offers[d] == yes))
        ranked = _Ranked(order=order, distances=miles, facets=self.facets(order))
        self._remember(key, ranked)
        return ranked

    def within(self, lat: float, lon: float, miles: float) -> dict[int, float]:
        found = self.grid.within(lat, lon, miles)
        if self.patched:
            # Patched listings may have moved: their places come from the patch grid only.
            for docnum in self.patched:
                found.pop(docnum, None)
            found.update(self.patch_grid.within(lat, lon, miles))
        return found

    # --- admin patches --------------------------------------------------------------------------

    def apply_patches(self) -> int:
        """Read patches appended since the last call; returns how many were applied."""
        try:
            size = (self.path / PATCHES_FILE).stat().st_size
        except FileNotFoundError:
            return 0
        if size <= self.patch_offset:
            return 0
        with self._lock:
            patches, self.patch_offset = read_patches(self.path / PATCHES_FILE, self.patch_offset)
            for patch in patches:
                self._apply(patch)
            if patches:
                self.patch_grid = GeoGrid(
                    (docnum, location["lat"], location["lon"])
                    for docnum, listing in self.patched.items()
                    if listing is not None
                    for location in listing.locations
                    if location.get("lat") is not None and location.get("lon") is not None
                )
                self.version += 1
                self._results.clear()
        return len(patches)

    def _apply(self, patch: Patch) -> None:
        # Under the generation lock; searches read without it. A search running meanwhile may see
        # a listing half-patched (e.g. new specialty, old name), never a crash: each column write
        # is a single item assignment, and cached results carry the version they were made at.
        columns = self.columns
        docnum = self.docnum_by_id.get(patch.listing_id)
        listing = patch.listing
        if listing is None or listing.hidden:
            if docnum is not None:
                self.removed[docnum] = 1
                self.patched[docnum] = None
            return
        if docnum is None:
            # New to this generation: findable by place, filters and browsing; by words after the
            # next full build (it is not in the Whoosh index).
            docnum = len(columns)
            self.docnum_by_id[listing.id] = docnum
            columns.ids.append(listing.id)
            columns.sort_names.append("")
            for values in (columns.stale, columns.offers, columns.practitioner_quote, self.removed):
                values.append(0)
            for values in (columns.verified_at, self.quality):
                values.append(0.0)
            columns.specialties.append(0)
        evidence = listing.microneedling_evidence or {}
        columns.sort_names[docnum] = listing.name.lower()
        columns.stale[docnum] = 1 if listing.stale else 0
        columns.offers[docnum] = OFFERS_CODES.get(listing.offers_microneedling, 0)
        columns.practitioner_quote[docnum] = 1 if evidence.get("scope") == "practitioner" else 0
        columns.verified_at[docnum] = parse_time(listing.last_verified)
        columns.specialties[docnum] = columns.specialty_mask(listing.specialties)
        self.quality[docnum] = column_quality(
            columns.offers[docnum],
            columns.practitioner_quote[docnum],
            columns.verified_at[docnum],
            time.time(),
        )
        self.removed[docnum] = 0
        self.patched[docnum] = listing


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
    """Thread-safe: each thread gets its own Whoosh searcher; generations swap when CURRENT changes,
    and admin patches to the live generation are picked up on the same once-a-second check."""

    def __init__(self, data_dir: Path, check_interval: float = RELOAD_CHECK_SECONDS) -> None:
        self.data_dir = Path(data_dir)
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._local = threading.local()
        self._generation: _Generation | None = None
        self._checked_at = -math.inf
        self._searchers: list[Searcher] = []
        self._closed = False
        # Loaded now rather than by the first patient who types a place.
        warm_gazetteer()
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
            if self._generation is not None:
                try:
                    self._generation.apply_patches()
                except (OSError, KeyError, TypeError, ValueError) as error:
                    log.error("cannot apply patches to %s: %s", self._generation.name, error)
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
        if docnum is None or generation.removed[docnum]:
            return None
        (listing,) = generation.listings([docnum])
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
        ranked = generation.ranked(
            searcher, parsed, req.procedure == "microneedling", place, req.radius
        )
        order = ranked.order
        positions: Iterable[int] = range(len(order))
        total = len(order)
        if req.specialty:
            # The facet counts already say how many matches have the specialty.
            total = ranked.facets.get(req.specialty, 0)
            slugs = generation.columns.slugs
            bit = 1 << slugs.index(req.specialty) if req.specialty in slugs else 0
            masks = generation.columns.specialties
            positions = (i for i, d in enumerate(order) if masks[d] & bit)
        start = (req.page - 1) * req.per_page
        on_page = list(itertools.islice(positions, start, start + req.per_page))
        miles = ranked.distances
        results = [
            listing.to_result(None if miles is None else miles[position])
            for position, listing in zip(
                on_page, generation.listings(order[i] for i in on_page), strict=True
            )
        ]
        suggestion = None
        if not total and parsed.words:
            suggestion = suggest(parsed.words, generation.spelling(searcher))
        return SearchPage(
            total=total,
            page=req.page,
            per_page=req.per_page,
            results=results,
            place=place.as_dict() if place else None,
            suggestion=suggestion,
            facets={"specialty": dict(ranked.facets)},
        )
