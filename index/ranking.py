"""How search results are ordered (the rules are told in index.search's docstring): the quality
factor, BM25F over the name and text fields, and each query's full ranked list with its facets.

Owns: Ranked, rank_matches, facets, text_scores, quality, column_quality and the ranking constants. Reads an opened
index.generation.Generation (its columns, postings and caches); must not import the store, the
build, search_web or crawler.
"""

from __future__ import annotations

import itertools
import math
import operator
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from whoosh.searching import Searcher

from index.columns import OFFERS_CODES, OFFERS_VALUES, DocColumns
from index.geo import Place
from index.query import NAME_BOOST, ParsedQuery, lay_stems
from index.records import Listing

if TYPE_CHECKING:
    from index.generation import Generation

# Quality factors (see index.search's docstring); kept together so the ranking is easy to tune.
QUALITY_OFFERS = {True: 1.5, None: 1.0, False: 0.8}
QUALITY_PRACTITIONER_QUOTE = 1.1
QUALITY_FRESH = 1.1
FRESH_DAYS = 365
# BM25F's free parameters (Whoosh's defaults), applied per field and summed.
BM25_K1 = 1.2
BM25_B = 0.75
# text before place when the rarest word's documents, times this, are fewer than the place's points
# (matching a document by its words costs a few times what measuring its distance does)
TEXT_FIRST_FACTOR = 3
ROW_SCAN_SHARE = 16
NORMS_TABLE_SIZE = 256  # field lengths with a precomputed BM25 norm (longer ones grow the table)  # scan a term's dense row, not its postings, when in 1/16 of the documents


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
        matching = text_scores(generation, searcher, parsed.terms)
        distances = generation.within_of(sorted(matching), place.lat, place.lon, radius)
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
            matching = text_scores(generation, searcher, parsed.terms, candidates=docs)
            docs = [d for d in docs if d in matching]
        if offers_only:
            docs = [d for d in docs if offers[d] == yes]
        rank = generation.name_rank()
        docs = _ordered(docs, stale, map(distances.__getitem__, docs), rank)
        order = array("I", docs)
        miles = array("d", map(distances.__getitem__, docs))
    elif parsed.terms:
        scores = text_scores(generation, searcher, parsed.terms)
        docs = [d for d in scores if not removed[d]]
        if offers_only:
            docs = [d for d in docs if offers[d] == yes]
        quality, rank = generation.quality, generation.name_rank()
        weighted = map(operator.mul, map(scores.__getitem__, docs), map(quality.__getitem__, docs))
        docs = _ordered(docs, stale, map(operator.neg, weighted), rank)
        order = array("I", docs)
    else:
        order = generation.default_order()
        if offers_only:
            order = array("I", (d for d in order if offers[d] == yes))
    ranked = Ranked(order=order, distances=miles, facets=facets(columns, order))
    generation.remember(key, ranked)
    return ranked


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


def facets(columns: DocColumns, order: Iterable[int]) -> dict[str, int]:
    """Matches per specialty slug, most first (a listing counts once for each of its specialties)."""
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


def term_sources(
    generation: Generation, searcher: Searcher, terms: list[str]
) -> dict[str, list[tuple[str, float, array, int, float]]]:
    """term -> the fields it occurs in: (field name, boost, lengths, document frequency, the
    frequency lay terms add when implied). A term with no field matches nothing."""
    reader = searcher.reader()
    implied = generation.manifest.lay_terms_implied
    lay = lay_stems() if implied else frozenset()
    sources: dict[str, list[tuple[str, float, array, int, float]]] = {}
    absent = generation.surely_absent
    for term in terms:
        sources[term] = []
        if term not in lay and absent(term):
            continue
        for fieldname, boost, lengths in (
            ("name", NAME_BOOST, generation.columns.name_len),
            ("text", 1.0, generation.columns.text_len),
        ):
            frequency = reader.doc_frequency(fieldname, searcher.schema[fieldname].to_bytes(term))
            extra = 0.0
            if fieldname == "text" and term in lay:
                extra = float(generation.manifest.lay_term_frequency.get(term, 1))
                frequency = generation.manifest.lay_document_frequency.get(
                    term, frequency + len(generation.indexed_offer_docs)
                )
            if frequency:
                sources[term].append((fieldname, boost, lengths, frequency, extra))
    return sources


def text_scores(
    generation, searcher: Searcher, terms: list[str], candidates: Iterable[int] | None = None
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
    sources = term_sources(generation, searcher, terms)
    scores = None if candidates is None else dict.fromkeys(candidates, 0.0)
    if not all(sources.values()):
        return {}  # a word no listing has: nothing matches every word
    order = sorted(terms, key=lambda t: sum(source[3] for source in sources[t]))
    for term in order:
        if scores is not None and not scores:
            return {}
        term_scores: dict[int, float] = {}
        for fieldname, boost, lengths, frequency, extra in sources[term]:
            idf = boost * (math.log(count / (frequency + 1)) + 1)
            found = _field_scores(
                generation, searcher, (fieldname, term, frequency), scores, extra, idf, lengths
            )
            if not term_scores:
                term_scores = found
            else:
                get = term_scores.get
                term_scores.update({d: get(d, 0.0) + s for d, s in found.items()})
        if scores is None:
            scores = term_scores
        else:
            scores = {d: s + scores[d] for d, s in term_scores.items()}
    return scores or {}


def _norms(generation: Generation, fieldname: str, longest: int) -> list[float]:
    """BM25's length normalisation k1 * (1 - b + b * length / average), by length, for lengths up
    to at least `longest` (cached per generation, grown on demand)."""
    key = ("norms", fieldname)
    table = generation.scratch.get(key)
    if table is None or len(table) <= longest:
        average = generation.avg_length[fieldname] or 1.0
        k1, b = BM25_K1, BM25_B
        size = max(NORMS_TABLE_SIZE, longest + 1)
        table = [k1 * ((1 - b) + b * length / average) for length in range(size)]
        generation.scratch[key] = table
    return table


def _field_scores(
    generation: Generation,
    searcher: Searcher,
    source: tuple[str, str, int],  # field name, term, document frequency
    within: dict[int, float] | None,
    extra: float,
    idf: float,
    lengths: array,
) -> dict[int, float]:
    """docnum -> BM25 of the term in one field, for the documents `within` (all when None).

    A term's weights are small whole numbers and a field's lengths few, so the score is looked up
    in a table by length (weight 1, the common case) and the loops run in C (map, compress)."""
    fieldname, term, frequency = source
    k1 = BM25_K1
    indexed = generation.indexed
    # A dense row costs a pass over every document without candidates: worth it only for a term
    # in a good share of them (postings cost Python work per posting, a row C work per document).
    dense = within is not None or frequency * ROW_SCAN_SHARE >= indexed
    row = None if extra or not dense else generation.row(fieldname, term)
    if row is not None:
        if within is None:
            docs = list(itertools.compress(range(indexed), row))
        else:
            candidates = [d for d in within if d < indexed] if generation.patched else list(within)
            docs = list(itertools.compress(candidates, map(row.__getitem__, candidates)))
        weights = list(map(row.__getitem__, docs))
    else:
        pairs = list(_weights(generation, searcher, fieldname, term, within, extra))
        docs = [d for d, _ in pairs]
        weights = [w for _, w in pairs]
    doc_lengths = list(map(lengths.__getitem__, docs))
    norms = _norms(generation, fieldname, max(doc_lengths, default=0))
    ones = [idf * (k1 + 1) / (1 + norm) for norm in norms]
    if weights.count(1) == len(weights):
        return dict(zip(docs, map(ones.__getitem__, doc_lengths), strict=True))
    return {
        d: (ones[n] if w == 1 else idf * (w * (k1 + 1)) / (w + norms[n]))
        for d, w, n in zip(docs, weights, doc_lengths, strict=True)
    }


def _weights(
    generation: Generation,
    searcher: Searcher,
    fieldname: str,
    term: str,
    within: dict[int, float] | None,
    extra: float,
) -> Iterable[tuple[int, float]]:
    """(docnum, weight) of the term in the field, for the documents `within` (all when None);
    `extra` is added for listings that offered microneedling at build time (implied lay terms)."""
    indexed = generation.indexed
    offered = generation.indexed_offers
    row = generation.row(fieldname, term) if within is not None else None
    if row is not None:
        if not extra:
            return ((d, row[d]) for d in within if d < indexed and row[d])
        pairs = ((d, row[d] + extra * offered[d]) for d in within if d < indexed)
        return ((d, w) for d, w in pairs if w)
    docnums, weights = generation.postings(searcher, fieldname, term)
    if not extra:
        pairs = zip(docnums, weights, strict=True)
        return pairs if within is None else ((d, w) for d, w in pairs if d in within)
    found = dict(zip(docnums, weights, strict=True))
    if within is None:
        for docnum in generation.indexed_offer_docs:
            found[docnum] = found.get(docnum, 0.0) + extra
        return found.items()
    pairs = ((d, found.get(d, 0.0) + extra * offered[d]) for d in within if d < indexed)
    return ((d, w) for d, w in pairs if w)
