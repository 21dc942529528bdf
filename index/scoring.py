"""BM25F over the name (boosted) and text fields, computed on NumPy arrays: a query's matches cost
a few C passes over their docnums, not Python work per match.

The arithmetic is Whoosh's BM25F (k1 1.2, b 0.75, summed per field) written element-wise in the
same order as the scalar formula, so every score is bit-for-bit what the per-document Python
computed before (tests/index/test_scoring.py compares the two on random documents).

Owns: term_sources, match_scores, text_scores and the BM25 constants. Reads an opened
index.generation.Generation (its columns, postings, term rows and vectors); must not import the
store, the build, search_web or crawler.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from whoosh.searching import Searcher

from index.query import NAME_BOOST, lay_stems

if TYPE_CHECKING:
    from index.generation import Generation

# BM25F's free parameters (Whoosh's defaults), applied per field and summed.
BM25_K1 = 1.2
BM25_B = 0.75
NORMS_TABLE_SIZE = 256  # field lengths with a precomputed BM25 norm (longer ones grow the table)

Matches = tuple[np.ndarray, np.ndarray]  # (docnums ascending, int64; their scores, float64)


def nothing() -> Matches:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)


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


def match_scores(
    generation: Generation,
    searcher: Searcher,
    terms: list[str],
    candidates: Iterable[int] | None = None,
) -> Matches:
    """The documents that match every term (in the name or the text), with their BM25F.

    Terms go rarest first, so the set still in play shrinks fast; once it is known (after the
    first term, or from `candidates`, e.g. the people near a place) a frequent term is looked up
    in its dense row for just those documents instead of reading all its postings. Lay terms
    count once in the text of every listing that offers microneedling when the generation left
    them out of the index (index.schema.document_for).
    """
    count = max(1, searcher.reader().doc_count_all())
    sources = term_sources(generation, searcher, terms)
    if not all(sources.values()):
        return nothing()  # a word no listing has: nothing matches every word
    docs = scores = None
    if candidates is not None:
        docs = np.unique(np.fromiter(candidates, dtype=np.int64))
        docs = docs[docs < generation.indexed]  # listings added by patches have no words yet
        scores = np.zeros(len(docs))
    for term in sorted(terms, key=lambda t: sum(source[3] for source in sources[t])):
        if docs is not None and not len(docs):
            return nothing()
        term_docs = term_scores = None
        for fieldname, boost, lengths, frequency, extra in sources[term]:
            idf = boost * (math.log(count / (frequency + 1)) + 1)
            found = _field_scores(
                generation, searcher, (fieldname, term, frequency), docs, extra, idf, lengths
            )
            if term_docs is None:
                term_docs, term_scores = found
            else:
                term_docs, term_scores = _summed((term_docs, term_scores), found)
        if docs is None:
            docs, scores = term_docs, term_scores
        else:  # the term's documents are some of `docs`: add what they had so far
            docs, scores = term_docs, term_scores + scores[np.searchsorted(docs, term_docs)]
    return (docs, scores) if docs is not None else nothing()


def text_scores(
    generation: Generation,
    searcher: Searcher,
    terms: list[str],
    candidates: Iterable[int] | None = None,
) -> dict[int, float]:
    """match_scores as docnum -> score (for callers that look documents up one at a time)."""
    docs, scores = match_scores(generation, searcher, terms, candidates)
    return dict(zip(docs.tolist(), scores.tolist(), strict=True))


def _summed(first: Matches, second: Matches) -> Matches:
    """The union of two fields' matches of one term, a document's scores added (first + second)."""
    docs = np.concatenate((first[0], second[0]))
    docs.sort()
    if len(docs) > 1:
        docs = docs[np.concatenate(((True,), docs[1:] != docs[:-1]))]
    scores = np.zeros(len(docs))
    scores[np.searchsorted(docs, first[0])] = first[1]
    scores[np.searchsorted(docs, second[0])] += second[1]
    return docs, scores


def _norms(generation: Generation, fieldname: str, longest: int) -> np.ndarray:
    """BM25's length normalisation k1 * (1 - b + b * length / average), by length, for lengths up
    to at least `longest` (cached per generation, grown on demand)."""
    key = ("norms", fieldname)
    table = generation.scratch.get(key)
    if table is None or len(table) <= longest:
        average = generation.avg_length[fieldname] or 1.0
        lengths = np.arange(max(NORMS_TABLE_SIZE, longest + 1), dtype=np.float64)
        table = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / average)
        generation.scratch[key] = table
    return table


def _field_scores(
    generation: Generation,
    searcher: Searcher,
    source: tuple[str, str, int],  # field name, term, document frequency
    within: np.ndarray | None,
    extra: float,
    idf: float,
    lengths: array,
) -> Matches:
    """BM25 of the term in one field, for the documents `within` (all when None)."""
    fieldname, term, _frequency = source
    indexed = generation.indexed
    # A frequent term's dense row (index.termrows) is one read and a C scan even over every
    # document; its postings would cost Python work per block of 128.
    row = None if extra else generation.row(fieldname, term)
    if row is not None:
        row = np.frombuffer(row, dtype=np.uint8)
        docs = np.flatnonzero(row) if within is None else within[row[within] != 0]
        weights = row[docs].astype(np.float64)
    else:
        docs, weights = _weights(generation, searcher, fieldname, term, within, extra)
    doc_lengths = np.frombuffer(lengths, dtype=np.uint16, count=indexed)[docs]
    norms = _norms(generation, fieldname, int(doc_lengths.max()) if len(docs) else 0)
    # idf * (w * (k1 + 1)) / (w + norm), evaluated left to right as the scalar formula is
    return docs, idf * (weights * (BM25_K1 + 1)) / (weights + norms[doc_lengths])


def _weights(
    generation: Generation,
    searcher: Searcher,
    fieldname: str,
    term: str,
    within: np.ndarray | None,
    extra: float,
) -> Matches:
    """(docnums, weights) of the term in the field, for the documents `within` (all when None);
    `extra` is added for listings that offered microneedling at build time (implied lay terms)."""
    offered = np.frombuffer(generation.indexed_offers, dtype=np.uint8)
    row = generation.row(fieldname, term) if within is not None else None
    if row is not None:
        weights = np.frombuffer(row, dtype=np.uint8)[within].astype(np.float64)
        if extra:
            weights = weights + extra * offered[within]
        keep = weights != 0
        return within[keep], weights[keep]
    found, found_weights = generation.postings(searcher, fieldname, term)
    docnums = np.frombuffer(found, dtype=np.uint32).astype(np.int64)
    weights = np.frombuffer(found_weights, dtype=np.float32).astype(np.float64)
    if within is None:
        if not extra:
            return docnums, weights
        dense = np.zeros(generation.indexed)
        dense[docnums] = weights
        dense[np.frombuffer(generation.indexed_offer_docs, dtype=np.uint32)] += extra
        docs = np.flatnonzero(dense)
        return docs, dense[docs]
    positions = np.minimum(np.searchsorted(within, docnums), len(within) - 1)
    present = within[positions] == docnums
    if not extra:
        return docnums[present], weights[present]
    base = np.zeros(len(within))
    base[positions[present]] = weights[present]
    weights = base + extra * offered[within]
    keep = weights != 0
    return within[keep], weights[keep]
