"""BM25F and the text ranking on NumPy arrays against a plain per-document reference: the scalar
formula over Whoosh's own postings, the columns' lengths and the lay terms the build implied."""

from __future__ import annotations

import math

import pytest

from index import ranking, scoring
from index.query import NAME_BOOST, ParsedQuery, lay_stems

# stemmed terms as index.query makes them; "acn" and "collagen" are lay terms, which the build
# implies for every listing that offers microneedling instead of indexing them
QUERIES = [
    ["dermatolog"],
    ["lakesid", "dermatolog"],
    ["patel"],
    ["plastic", "surgeri"],
    ["collagen"],
    ["acn", "dermatolog"],
    ["facial", "patel"],
]


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    from benchmarks.synth import listings
    from index.build import READY_FILE, index_dir, write_current, write_generation
    from index.search import SearchService

    data_dir = tmp_path_factory.mktemp("scoring")
    docs = list(listings(3000))
    for doc in docs[::7]:
        doc.stale = True  # not seen by the latest crawl: ranked after everyone fresh
    write_generation(index_dir(data_dir) / "gen-1", docs)
    (index_dir(data_dir) / "gen-1" / READY_FILE).write_text("test\n")
    write_current(data_dir, "gen-1")
    service = SearchService(data_dir)
    generation, searcher = service._current()
    yield generation, searcher
    service.close()


def _field_weights(generation, searcher, fieldname: str, term: str) -> dict[int, float]:
    reader = searcher.reader()
    text = searcher.schema[fieldname].to_bytes(term)
    found: dict[int, float] = {}
    if reader.doc_frequency(fieldname, text):
        postings = reader.postings(fieldname, text)
        while postings.is_active():
            found[postings.id()] = postings.weight()
            postings.next()
    return found


def reference_scores(generation, searcher, terms: list[str]) -> dict[int, float]:
    """docnum -> BM25F, one document and one term at a time (terms summed rarest first)."""
    count = searcher.reader().doc_count_all()
    implied = generation.manifest.lay_terms_implied
    lay = lay_stems() if implied else frozenset()
    per_term = {}
    for term in terms:
        fields = []
        for fieldname, boost, lengths in (
            ("name", NAME_BOOST, generation.columns.name_len),
            ("text", 1.0, generation.columns.text_len),
        ):
            weights = _field_weights(generation, searcher, fieldname, term)
            frequency = len(weights)
            if fieldname == "text" and term in lay:
                extra = float(generation.manifest.lay_term_frequency.get(term, 1))
                frequency = generation.manifest.lay_document_frequency.get(
                    term, frequency + len(generation.indexed_offer_docs)
                )
                for docnum in generation.indexed_offer_docs:
                    weights[docnum] = weights.get(docnum, 0.0) + extra
            if not frequency:
                continue
            idf = boost * (math.log(count / (frequency + 1)) + 1)
            average = generation.avg_length[fieldname]
            scores = {}
            for docnum, weight in weights.items():
                norm = scoring.BM25_K1 * (
                    (1 - scoring.BM25_B) + scoring.BM25_B * lengths[docnum] / average
                )
                scores[docnum] = idf * (weight * (scoring.BM25_K1 + 1)) / (weight + norm)
            fields.append(scores)
        combined: dict[int, float] = {}
        for scores in fields:
            for docnum, score in scores.items():
                combined[docnum] = combined.get(docnum, 0.0) + score
        per_term[term] = combined
    order = sorted(terms, key=lambda t: len(per_term[t]))
    total = per_term[order[0]]
    for term in order[1:]:
        total = {d: s + total[d] for d, s in per_term[term].items() if d in total}
    return total


@pytest.mark.parametrize("terms", QUERIES)
def test_scores_equal_the_per_document_formula(opened, terms):
    generation, searcher = opened
    assert generation.manifest.lay_terms_implied
    expected = reference_scores(generation, searcher, terms)
    assert expected, terms  # the query matches someone, so the comparison says something
    got = scoring.text_scores(generation, searcher, terms)
    assert got.keys() == expected.keys()
    assert all(got[d] == pytest.approx(expected[d], rel=1e-12) for d in expected)


@pytest.mark.parametrize("terms", QUERIES)
def test_candidates_restrict_the_matches_and_keep_their_scores(opened, terms):
    generation, searcher = opened
    everyone = scoring.text_scores(generation, searcher, terms)
    candidates = list(range(0, generation.indexed, 3))[::-1]  # any order
    within = scoring.text_scores(generation, searcher, terms, candidates=candidates)
    assert within.keys() == {d for d in everyone if d % 3 == 0}
    assert all(within[d] == pytest.approx(everyone[d], rel=1e-12) for d in within)


@pytest.mark.parametrize("terms", QUERIES)
@pytest.mark.parametrize("offers_only", [False, True])
def test_the_text_ranking_orders_by_staleness_score_and_name(opened, terms, offers_only):
    generation, searcher = opened
    scores = reference_scores(generation, searcher, terms)
    rank, stale, quality = generation.name_rank(), generation.columns.stale, generation.quality
    docs = [
        d
        for d in scores
        if not offers_only or generation.columns.offers[d] == ranking.OFFERS_CODES[True]
    ]
    expected = sorted(docs, key=lambda d: (stale[d], -scores[d] * quality[d], rank[d]))
    assert any(stale[d] for d in expected) and not all(stale[d] for d in expected)
    parsed = ParsedQuery(terms=list(terms), words=list(terms))
    generation._results.clear()
    ranked = ranking.rank_matches(generation, searcher, parsed, offers_only, None, 0.0)
    assert list(ranked.order) == expected
    # counted in C from the masks, as one at a time from the columns
    assert ranked.facets == ranking.facets(generation.columns, list(ranked.order))
