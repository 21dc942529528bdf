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

Where it lives: this module owns the request and page, their validation and SearchService (which
opens the live generation and swaps it when CURRENT changes); index.ranking computes the order
above, index.generation holds an opened generation with its patches and caches, index.suggest
the "did you mean". Must not import the store, search_web or crawler.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from whoosh.index import IndexError as WhooshIndexError
from whoosh.searching import Searcher

from index import coverage as coverage_module
from index.build import current_generation, index_dir
from index.generation import Generation
from index.geo import UnknownPlace, place_for, warm_gazetteer
from index.modified import keep_modified
from index.query import SearchError, lay_stems, parse_patient_text
from index.ranking import rank_matches
from index.records import SPECIALTY_SLUGS, Listing
from index.suggest import suggest, warm_suggest

__all__ = ["IndexUnavailable", "SearchError", "SearchPage", "SearchRequest", "SearchService"]

log = logging.getLogger(__name__)

RADIUS_RANGE = (1.0, 200.0)
PAGE_RANGE = (1, 1000)
PER_PAGE_RANGE = (1, 100)
PROCEDURES = {"microneedling"}
RELOAD_CHECK_SECONDS = 1.0


@dataclass
class SearchRequest:
    near: str | None = None  # "78701" or "Austin, TX"
    radius: float = 25.0  # miles
    specialty: str | None = None  # slug
    procedure: str | None = None  # "microneedling" or None
    q: str | None = None
    page: int = 1
    per_page: int = 20
    # Incremental sync: only listings seen or verified at or after this aware instant (index.modified)
    modified_after: datetime | None = None


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
    since = req.modified_after
    if since is not None and (not isinstance(since, datetime) or since.tzinfo is None):
        raise SearchError("modified_after must be a date-time with a time zone.")
    return SearchRequest(
        near=near,
        radius=radius,
        specialty=specialty,
        procedure=procedure,
        q=q,
        page=_as_int(req.page, "page", *PAGE_RANGE),
        per_page=_as_int(req.per_page, "per_page", *PER_PAGE_RANGE),
        modified_after=since,
    )


class SearchService:
    """Thread-safe: each thread gets its own Whoosh searcher; generations swap when CURRENT changes,
    and admin patches to the live generation are picked up on the same once-a-second check."""

    def __init__(self, data_dir: Path, check_interval: float = RELOAD_CHECK_SECONDS) -> None:
        self._coverage: tuple[str, list[coverage_module.StateCoverage]] | None = None
        self.data_dir = Path(data_dir)
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._local = threading.local()
        self._generation: Generation | None = None
        self._checked_at = -math.inf
        self._searchers: list[Searcher] = []
        self._closed = False
        # Loaded now rather than by the first patient who types a place, a word or a typo.
        warm_gazetteer()
        lay_stems()
        warm_suggest()
        self._refresh(force=True)

    # --- generations and searchers ----------------------------------------------------------------

    def _refresh(self, force: bool = False) -> Generation | None:
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
                    previous, self._generation = self._generation, Generation(name, path)
                except (OSError, KeyError, ValueError, WhooshIndexError) as error:
                    # Keep serving the generation we have (or none: requests then get
                    # IndexUnavailable); a broken CURRENT must not take the service down.
                    log.error("cannot open index generation %s: %s", path, error)
                else:
                    log.info("serving index generation %s", name)
                    if previous is not None:
                        previous.release_spare()  # its first searcher, if no thread took it
            if self._generation is not None:
                try:
                    self._generation.apply_patches()
                except (OSError, KeyError, TypeError, ValueError) as error:
                    log.error("cannot apply patches to %s: %s", self._generation.name, error)
            return self._generation

    def _current(self) -> tuple[Generation, Searcher]:
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
            local.searcher = generation.take_searcher()
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
        ranked = rank_matches(
            generation, searcher, parsed, req.procedure == "microneedling", place, req.radius
        )
        order = ranked.order
        positions: Iterable[int] = range(len(order))
        total = len(order)
        facets = ranked.facets
        if req.modified_after is not None:
            kept, facets = keep_modified(generation, order, req.modified_after)
            positions, total = kept, len(kept)
        if req.specialty:
            # The facet counts already say how many matches have the specialty.
            total = facets.get(req.specialty, 0)
            slugs = generation.columns.slugs
            bit = 1 << slugs.index(req.specialty) if req.specialty in slugs else 0
            masks = generation.columns.specialties
            positions = (i for i in positions if masks[order[i]] & bit)
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
            facets={"specialty": dict(facets)},
        )

    def nearest(self, req: SearchRequest, limit: int = 3) -> list[dict]:
        """The nearest matches of a place search however far away (index.coverage): for an empty
        page, so it can still name someone. [] without a place or when nothing matches at all."""
        req = validate(req)
        if not req.near:
            return []
        try:
            place = place_for(req.near)
        except UnknownPlace as error:
            raise SearchError(str(error)) from None
        generation, searcher = self._current()
        return coverage_module.nearest_results(
            generation,
            searcher,
            parse_patient_text(req.q),
            req.procedure == "microneedling",
            req.specialty,
            place,
            limit,
        )

    def coverage(self) -> tuple[str, list[coverage_module.StateCoverage]]:
        """(generation name, states and cities with their practitioner counts), computed once per
        generation: it reads every listing, so admin patches show in it after the next build."""
        generation, _ = self._current()
        key = generation.name
        cached = self._coverage
        if cached is None or cached[0] != key:
            cached = (key, coverage_module.coverage(generation))
            self._coverage = cached
        return generation.name, cached[1]
