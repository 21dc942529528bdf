"""The benchmark code runs end to end on a tiny index (no timings are asserted: they are noise here)."""

from __future__ import annotations

import pytest

from benchmarks import run
from benchmarks.fts5_baseline import BaselineSearch, match_expression
from benchmarks.synth import QUERY_MIX, listings
from index.search import SearchRequest, SearchService

N = 300


@pytest.fixture(scope="module")
def report():
    patch = pytest.MonkeyPatch()
    patch.setattr(run, "ROUNDS_IN_PROCESS", 2)
    patch.setattr(run, "HTTP_REQUESTS", 30)
    try:
        yield run.run_size(N, (1,))
    finally:
        patch.undo()


def test_a_tiny_run_reports_every_measure_for_both_engines(report):
    assert report["n"] == N
    for engine in ("whoosh", "fts5"):
        assert report["build"][engine]["n"] == N and report["build"][engine]["docs_per_s"] > 0
        for kind in ("cold", "warm"):
            assert set(report["query"][engine][kind]) == {label for label, *_ in QUERY_MIX}
    for server in ("whoosh_w1", "fts5_w1"):
        assert report["http"][server]["errors_5xx"] == 0
        assert report["http"][server]["rss_mb_per_worker"] > 0
    line = run.bench_line(report)
    assert line.startswith(f"bench: n={N} text_geo_p95_vs_fts5=")
    assert "| 300 | HTTP w1 req/s" in run.markdown_table([report])


def test_both_engines_find_the_same_people_for_every_query_in_the_mix(tmp_path):
    from benchmarks import fts5_baseline
    from index.build import READY_FILE, index_dir, write_current, write_generation

    docs = list(listings(N))
    write_generation(index_dir(tmp_path) / "gen-1", docs)
    (index_dir(tmp_path) / "gen-1" / READY_FILE).write_text("test\n")
    write_current(tmp_path, "gen-1")
    fts5_baseline.build(tmp_path / "baseline.sqlite3", docs)
    service, baseline = SearchService(tmp_path), BaselineSearch(tmp_path / "baseline.sqlite3")
    try:
        for query in QUERY_MIX:
            params = run._request_for(query)
            page = service.search(SearchRequest(**params, per_page=100))
            found = baseline.search(**params, per_page=100)
            assert page.total == found["total"], query
            if query[2] is not None:  # with a place both order by distance, then by id/name
                assert [r["distance_miles"] for r in page.results] == [
                    r["distance_miles"] for r in found["results"]
                ], query
            assert {r["id"] for r in page.results} <= {d.id for d in docs}
    finally:
        service.close()


def test_patient_words_are_quoted_for_fts5():
    assert match_expression(['say"', "or", "near"]) == '"say" "or" "near"'
    assert match_expression([]) is None
