"""How search results are ordered (the rules are told in index.search's docstring): the quality
factor, and each query's full ranked list with its facets (BM25F itself is index.scoring's).

A text query's matches are ranked on NumPy arrays (Vectors: the columns a ranking reads, copied
once per patch version), so ordering thousands of matches is a few C passes; place queries keep
their distances in a dictionary, as index.geo gives them.

Owns: Ranked, Vectors, vectors_of, rank_matches, facets, quality, column_quality and the quality
constants. Reads an opened index.generation.Generation (its columns, postings and caches); must
not import the store, the build, search_web or crawler.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from whoosh.searching import Searcher

from index.columns import OFFERS_CODES, OFFERS_VALUES, DocColumns
from index.geo import Place
from index.query import ParsedQuery
from index.records import Listing
from index.scoring import match_scores, term_sources

if TYPE_CHECKING:
    from index.generation import Generation

# Quality factors (see index.search's docstring); kept together so the ranking is easy to tune.
QUALITY_OFFERS = {True: 1.5, None: 1.0, False: 0.8}
QUALITY_PRACTITIONER_QUOTE = 1.1
QUALITY_FRESH = 1.1
FRESH_DAYS = 365
# text before place when the rarest word's documents, times this, are fewer than the place's points
# (matching a document by its words costs a few times what measuring its distance does)
TEXT_FIRST_FACTOR = 3


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


@dataclass
class Ranked:
    """One query's matches in rank order, before the specialty filter and paging."""

    order: array  # docnums ("I")
    distances: array | None  # miles ("d"), position by position with `order`, when near a place
    facets: dict[str, int]  # specialty slug -> matches, most first

    @property
    def size(self) -> int:
        return len(self.order) + (len(self.distances) if self.distances is not None else 0)


@dataclass(frozen=True)
class Vectors:
    """The columns a ranking reads, as NumPy arrays, at one patch version (index.generation keeps
    one, made under its lock, since patches grow and rewrite the columns they come from)."""

    version: int
    quality: np.ndarray  # float64
    stale: np.ndarray  # uint8
    offers_yes: np.ndarray  # bool
    removed: np.ndarray  # bool
    rank: np.ndarray  # uint32: position in name order
    specialties: np.ndarray  # uint32 masks


def vectors_of(generation: Generation, version: int) -> Vectors:
    columns = generation.columns
    offers = np.array(columns.offers, dtype=np.uint8)
    return Vectors(
        version=version,
        quality=np.array(generation.quality, dtype=np.float64),
        stale=np.array(columns.stale, dtype=np.uint8),
        offers_yes=offers == OFFERS_CODES[True],
        removed=np.array(generation.removed, dtype=np.uint8).astype(bool),
        rank=np.array(generation.name_rank(), dtype=np.uint32),
        specialties=np.array(columns.specialties, dtype=np.uint32),
    )


def _as_order(docs: np.ndarray) -> array:
    return array("I", docs.astype(np.uint32).tobytes())


def rank_matches(
    generation: Generation,
    searcher: Searcher | None,  # None only when there are no words to look up
    parsed: ParsedQuery,
    procedure: bool,
    place: Place | None,
    radius: float,
) -> Ranked:
    """Every match of the text, procedure filter and place, in rank order, with facets (cached)."""
    offers_only = procedure or parsed.wants_procedure
    where = (place.lat, place.lon, radius) if place is not None else None
    key = (generation.version, tuple(parsed.terms), offers_only, where)
    found = generation.cached_ranking(key)
    if found is not None:
        return found
    columns = generation.columns
    offers, stale, removed = columns.offers, columns.stale, generation.removed
    yes = OFFERS_CODES[True]
    miles = None
    if (
        place is not None
        and parsed.terms
        and not all(term_sources(generation, searcher, parsed.terms).values())
    ):
        # a word no listing has (a typo, usually): no match anywhere, so no distances to compute
        order, miles = array("I"), array("d")
    elif place is not None and _text_first(generation, searcher, parsed.terms, place, radius):
        # the words are rarer than the people near the place: match them, then measure just those
        matching, _ = match_scores(generation, searcher, parsed.terms)
        distances = generation.within_of(matching.tolist(), place.lat, place.lon, radius)
        docs = [d for d in distances if not removed[d]]
        if offers_only:
            docs = [d for d in docs if offers[d] == yes]
        rank = generation.name_rank()
        docs = _ordered(docs, stale, map(distances.__getitem__, docs), rank)
        order = array("I", docs)
        miles = array("d", map(distances.__getitem__, docs))
    elif place is not None:
        distances = generation.within(place.lat, place.lon, radius)
        docs = [d for d in distances if not removed[d]]
        if parsed.terms and docs:
            matching = set(match_scores(generation, searcher, parsed.terms, docs)[0].tolist())
            docs = [d for d in docs if d in matching]
        if offers_only:
            docs = [d for d in docs if offers[d] == yes]
        rank = generation.name_rank()
        docs = _ordered(docs, stale, map(distances.__getitem__, docs), rank)
        order = array("I", docs)
        miles = array("d", map(distances.__getitem__, docs))
    elif parsed.terms:
        docs, scores = match_scores(generation, searcher, parsed.terms)
        vectors = generation.vectors()
        keep = ~vectors.removed[docs]
        if offers_only:
            keep &= vectors.offers_yes[docs]
        docs, scores = docs[keep], scores[keep]
        order = _as_order(_by_score(docs, scores * vectors.quality[docs], vectors))
    else:
        order = generation.default_order()
        if offers_only:
            order = array("I", (d for d in order if offers[d] == yes))
    masks = generation.vectors().specialties
    ranked = Ranked(order=order, distances=miles, facets=facets(columns, order, masks))
    generation.remember(key, ranked)
    return ranked


def _by_score(docs: np.ndarray, weighted: np.ndarray, vectors: Vectors) -> np.ndarray:
    """docs by (stale, higher weighted score, name rank). Name ranks are unique, so the first sort
    need not be stable; the later ones are, each keeping the order of the one before."""
    by_name = np.argsort(vectors.rank[docs])
    docs, weighted = docs[by_name], weighted[by_name]
    docs = docs[np.argsort(-weighted, kind="stable")]
    stale = vectors.stale[docs]
    if stale.any():
        docs = docs[np.argsort(stale, kind="stable")]
    return docs


def _text_first(generation: Generation, searcher, terms: list[str], place, radius: float) -> bool:
    """Whether to match the words before the place: when the rarest word is in fewer documents
    than the place's grid cells hold points (and no patch has moved anyone)."""
    if not terms or generation.patched:
        return False
    sources = term_sources(generation, searcher, terms)
    rarest = min(sum(source[3] for source in sources[term]) for term in terms)
    return rarest * TEXT_FIRST_FACTOR < generation.grid.candidate_count(
        place.lat, place.lon, radius
    )


def _ordered(docs: list[int], stale: bytearray, keys: Iterable[float], rank: array) -> list[int]:
    """docs by (stale, key, name rank), `keys` in docs' order. Three stable sorts on one-type keys
    fetched by C callables (Python's sort compares floats and small ints fast, tuples slowly)."""
    key_of = dict(zip(docs, keys, strict=True))
    docs = sorted(docs, key=rank.__getitem__)
    docs.sort(key=key_of.__getitem__)
    if any(map(stale.__getitem__, docs)):
        docs.sort(key=stale.__getitem__)
    return docs


def facets(
    columns: DocColumns, order: Iterable[int], masks: np.ndarray | None = None
) -> dict[str, int]:
    """Matches per specialty slug, most first (a listing counts once for each of its specialties).
    With `masks` (Vectors.specialties) and an array order, counted in C."""
    if masks is not None and isinstance(order, array):
        found, tally = np.unique(masks[np.frombuffer(order, dtype=np.uint32)], return_counts=True)
        by_mask = dict(zip(found.tolist(), tally.tolist(), strict=True))
    else:
        by_mask = Counter(map(columns.specialties.__getitem__, order))
    counts: dict[str, int] = {}
    for mask, count in by_mask.items():
        bit = 0
        while mask:
            if mask & 1:
                slug = columns.slugs[bit]
                counts[slug] = counts.get(slug, 0) + count
            mask >>= 1
            bit += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
