"""Dense rows of frequent terms: a shortcut that must never change a search result."""

from __future__ import annotations

import pytest

from benchmarks.synth import listings
from index.build import READY_FILE, index_dir, write_current, write_generation
from index.columns import COLUMNS_FILE
from index.search import SearchRequest, SearchService
from index.termrows import TERM_ROWS_FILE, TermRows, frequent_threshold, read_postings

QUERIES = [
    SearchRequest(q="lakeside dermatology"),
    SearchRequest(q="dermatology summit", per_page=50),
    SearchRequest(q="patel"),
    SearchRequest(q="surgery plastic", near="Chicago, IL", radius=50, per_page=100),
    SearchRequest(q="dermatology", near="10001", radius=25, per_page=100),
    SearchRequest(q="acne scars", near="78701", procedure="microneedling"),
    SearchRequest(specialty="dermatology", page=2),
    SearchRequest(near="30303", specialty="plastic-surgery", per_page=100),
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("termrows")
    path = index_dir(data_dir) / "gen-1"
    write_generation(path, list(listings(600)))
    (path / READY_FILE).write_text("test\n")
    write_current(data_dir, "gen-1")
    return data_dir


def results(data_dir) -> list[tuple[int, list[tuple[str, float | None]], dict]]:
    service = SearchService(data_dir)
    try:
        pages = [service.search(request) for request in QUERIES]
    finally:
        service.close()
    return [
        (page.total, [(r["id"], r.get("distance_miles")) for r in page.results], page.facets)
        for page in pages
    ]


def test_rows_hold_exactly_the_frequent_terms_postings(data_dir):
    path = index_dir(data_dir) / "gen-1"
    rows = TermRows(path / TERM_ROWS_FILE)
    assert len(rows) > 0 and rows.doc_count == 600
    service = SearchService(data_dir)
    try:
        _, searcher = service._current()
        reader = searcher.reader()
        row = rows.row("text", "dermatolog")
        docnums, weights = read_postings(reader, "text", "dermatolog")
        assert len(docnums) >= frequent_threshold(600)
        assert [d for d, w in enumerate(row) if w] == sorted(docnums)
        assert all(row[d] == round(w) for d, w in zip(docnums, weights, strict=True))
        assert rows.row("text", "xylophon") is None
    finally:
        service.close()


def test_search_results_are_the_same_without_rows_or_columns(data_dir):
    every_query_finds_someone = results(data_dir)
    assert all(total for total, _, _ in every_query_finds_someone)
    path = index_dir(data_dir) / "gen-1"
    (path / TERM_ROWS_FILE).rename(path / "terms.off")
    try:
        assert results(data_dir) == every_query_finds_someone
        (path / COLUMNS_FILE).rename(path / "columns.off")
        assert results(data_dir) == every_query_finds_someone
    finally:
        for name, original in (("terms.off", TERM_ROWS_FILE), ("columns.off", COLUMNS_FILE)):
            if (path / name).exists():
                (path / name).rename(path / original)


LAY_QUERIES = [
    SearchRequest(q="scars"),
    SearchRequest(q="needling dermatology", per_page=50),
    SearchRequest(q="collagen lakeside"),
    SearchRequest(q="roller", near="Chicago, IL", radius=50, per_page=100),
    SearchRequest(q="scars summit", near="10001", radius=50),
]


def test_implied_lay_terms_find_and_rank_as_if_they_were_indexed(data_dir, tmp_path, monkeypatch):
    import index.build
    from index.columns import MANIFEST_FILE, Manifest
    from index.query import lay_terms
    from index.schema import document_for, lay_text

    phrases = lay_terms()
    monkeypatch.setattr(
        index.build,
        "document_for",
        lambda listing: {
            **document_for(listing),
            "text": f"{document_for(listing)['text']} {lay_text(listing, phrases)}".strip(),
        },
    )
    monkeypatch.setattr(index.build, "lay_terms", lambda: ())  # the words are in the text now
    path = index_dir(tmp_path) / "gen-1"
    write_generation(path, list(listings(600)))
    Manifest().write(path / MANIFEST_FILE)  # a generation that indexed its lay terms
    (path / READY_FILE).write_text("test\n")
    write_current(tmp_path, "gen-1")

    def pages(where):
        service = SearchService(where)
        try:
            return [service.search(request) for request in LAY_QUERIES]
        finally:
            service.close()

    implied, indexed = pages(data_dir), pages(tmp_path)
    assert all(page.total for page in implied)
    for a, b in zip(implied, indexed, strict=True):
        assert (a.total, a.facets) == (b.total, b.facets)
        assert [r["id"] for r in a.results] == [r["id"] for r in b.results]
