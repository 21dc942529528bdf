"""One opened index generation, as search reads it: Whoosh for the words, flat columns for everything
else, the admin patches layered on top, and the per-generation caches (ranked results, postings,
dense term rows, name and default orders, the "did you mean" vocabulary).

Owns: Generation and the cache bounds. How results are ordered is index.ranking; the service that
opens and swaps generations is index.search. Must not import the store, search_web or crawler.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import os
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from index.build import LISTINGS_FILE
from index.columns import (
    COLUMNS_FILE,
    MANIFEST_FILE,
    OFFERS_CODES,
    ColumnsError,
    DocColumns,
    Manifest,
    columns_from_listings,
    parse_time,
)
from index.geo import GeoGrid, distances_within
from index.patches import PATCHES_FILE, Patch, read_patches
from index.query import ParsedQuery
from index.ranking import Ranked, Vectors, column_quality, rank_matches, vectors_of
from index.records import Listing
from index.suggest import SPELLING_FILE, SpellingVocabulary
from index.termrows import TERM_ROWS_FILE, TermRows, read_postings

# Per generation: recent ranked result lists (patients repeat popular searches) and the postings of
# recently used terms, bounded by their total length (8 bytes each).
RESULT_CACHE_SIZE = 256
RESULT_CACHE_DOCS = 1_000_000  # docnums and distances held by all cached results together
POSTINGS_CACHE_SIZE = 2_000_000
ROW_CACHE_SIZE = 32  # dense term rows: doc_count bytes each

_YES_TABLE = bytes(1 if code == OFFERS_CODES[True] else 0 for code in range(256))


class IdIndex:
    """listing id -> docnum without a dictionary of every id (tens of MB at a national size):
    a build writes the listings sorted by id, so a binary search over the id column finds one;
    ids that are not in sorted order (a generation built otherwise, listings added by patches)
    go into a small dictionary."""

    def __init__(self, ids: list[str]) -> None:
        self._ids = ids
        self._sorted = len(ids)  # the prefix of `ids` known to be in strictly increasing order
        if not all(map(operator.lt, ids, itertools.islice(ids, 1, None))):
            self._sorted = 0
        self._extra: dict[str, int] = (
            {} if self._sorted else {listing_id: d for d, listing_id in enumerate(ids)}
        )

    def get(self, listing_id: str, default: int | None = None) -> int | None:
        found = self._extra.get(listing_id)
        if found is not None:
            return found
        ids, end = self._ids, self._sorted
        position = bisect.bisect_left(ids, listing_id, 0, end)
        if position < end and ids[position] == listing_id:
            return position
        return default

    def __setitem__(self, listing_id: str, docnum: int) -> None:
        self._extra[listing_id] = docnum

    def __contains__(self, listing_id: str) -> bool:
        return self.get(listing_id) is not None


class Generation:
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
        self.docnum_by_id = IdIndex(columns.ids)
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
        self._vectors: Vectors | None = None
        self._default: tuple[int, array] | None = None
        self._results_size = 0
        self._results: OrderedDict[tuple, Ranked] = OrderedDict()
        self._browse: dict[tuple, Ranked] = {}
        self._postings: OrderedDict[tuple[str, str], tuple[array, array]] = OrderedDict()
        self._postings_size = 0
        self._rows: OrderedDict[tuple[str, str, str], bytes | None] = OrderedDict()
        # "did you mean": written by the build (index.suggest), so loading it is one small read
        # small per-generation tables computed on first use (index.ranking's BM25 norms)
        self.scratch: dict = {}
        self._spelling: SpellingVocabulary | None = SpellingVocabulary.read(path / SPELLING_FILE)
        # Browsing everyone, and everyone who offers microneedling (what every lay term such as
        # "acne scars" asks for): the commonest lists, worth having before the first patient asks.
        for offers_only in (False, True):
            rank_matches(self, None, ParsedQuery(), offers_only, None, 0.0)
        # Opening a Whoosh searcher reads every segment's term index (milliseconds): one is opened
        # now, for the first thread that searches, so the first patient does not pay for it.
        self._spare: Searcher | None = self.ix.searcher()

    def take_searcher(self) -> Searcher:
        """A searcher for one thread: the one opened with the generation, then new ones."""
        with self._lock:
            spare, self._spare = self._spare, None
        return spare if spare is not None else self.ix.searcher()

    def surely_absent(self, term: str) -> bool:
        """True when no indexed document has this stemmed word, known without touching the index:
        the build's vocabulary lists every word of the text field, which holds every name word."""
        spelling = self._spelling
        return spelling is not None and term not in spelling.known_stems

    def spelling(self, searcher: Searcher) -> SpellingVocabulary:
        # Loaded at open from the build's file; only a generation written before that file existed
        # builds it here, on the first misspelling. Two threads racing here build the same value,
        # so no lock is needed.
        if self._spelling is None:
            self._spelling = SpellingVocabulary.from_searcher(searcher)
        return self._spelling

    def release_spare(self) -> None:
        """Close the searcher opened with the generation if no thread took it (when a newer
        generation goes live: this one is dropped, not closed, as threads may still use it)."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()

    def close(self) -> None:
        self.release_spare()
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

    # --- orders, postings, term rows and ranked results, cached per patch version -----------------

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

    def cached_ranking(self, key: tuple) -> Ranked | None:
        """A query's ranked list from the result cache (index.ranking.rank_matches makes the key)."""
        with self._lock:
            found = self._browse.get(key)
            if found is not None:
                return found
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
            return found

    def remember(self, key: tuple, ranked: Ranked) -> None:
        """Cache a query's ranked list; the oldest go once the count or total size bound is passed.

        Browsing (no words, no place: everyone, or everyone who offers microneedling) is kept
        aside, outside the bounds: two lists per patch version, computed when the generation
        opens, which every specialty-only search pages through; at a national size each is as
        long as the whole size bound and would evict every other cached result."""
        _version, terms, _offers, where = key
        if not terms and where is None:
            with self._lock:
                self._browse = {k: v for k, v in self._browse.items() if k[0] == self.version}
                self._browse[key] = ranked
            return
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

    def vectors(self) -> Vectors:
        """The ranking's NumPy copy of the columns at this patch version (index.ranking)."""
        cached = self._vectors
        if cached is not None and cached.version == self.version:
            return cached
        with self._lock:  # patches grow and rewrite the columns under this lock
            self._vectors = vectors_of(self, self.version)
            return self._vectors

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

    def within_of(
        self, docs: Iterable[int], lat: float, lon: float, miles: float
    ) -> dict[int, float]:
        """`within` for just these (indexed, unpatched) documents: their own locations from the
        columns, found by binary search on the docnum-ordered location column."""
        columns = self.columns
        loc_doc, loc_lat, loc_lon = columns.loc_doc, columns.loc_lat, columns.loc_lon
        left, right = bisect.bisect_left, bisect.bisect_right
        points = (
            (d, loc_lat[i], loc_lon[i])
            for d in docs
            for i in range(left(loc_doc, d), right(loc_doc, d))
        )
        return distances_within(points, lat, lon, miles)

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
                self._browse.clear()
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
