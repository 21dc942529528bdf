"""The benchmark code runs end to end on a tiny index (no timings are asserted: they are noise here)."""

from __future__ import annotations

import pytest

from benchmarks import run
from benchmarks.fts5_baseline import BaselineSearch, match_expression
from benchmarks.synth import QUERY_MIX, listings
from index.query import parse_patient_text
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


def test_a_tiny_run_reports_every_measure_for_every_engine(report):
    assert report["n"] == N
    for engine in ("whoosh", "fts5", "tantivy"):
        assert report["build"][engine]["n"] == N and report["build"][engine]["docs_per_s"] > 0
        for kind in ("cold", "warm"):
            assert set(report["query"][engine][kind]) == {label for label, *_ in QUERY_MIX}
    for server in ("whoosh_w1", "fts5_w1", "tantivy_w1"):
        assert report["http"][server]["errors_5xx"] == 0
        assert report["http"][server]["rss_mb_per_worker"] > 0
    line = run.bench_line(report)
    assert line.startswith(f"bench: n={N} text_geo_p95_vs_fts5=")
    keys = [part.split("=")[0] for part in line.split()[2:]]
    for key in (
        "text_geo_p95_vs_fts5",
        "text_p95_vs_fts5",
        "http_vs_fts5",
        "build_docs_per_s",
        "rss_mb",
        "text_geo_p95_vs_tantivy",
        "text_p95_vs_tantivy",
        "place_p95_vs_tantivy",
        "zero_p95_vs_fts5",
        "build_vs_fts5",
    ):
        assert key in keys, key
    values = dict(part.split("=") for part in line.split()[1:])
    assert float(values["build_vs_fts5"]) == round(
        report["build"]["whoosh"]["docs_per_s"] / report["build"]["fts5"]["docs_per_s"], 2
    )
    table = run.markdown_table([report])
    assert "| vs FTS5 | vs tantivy |" in table
    row = next(line for line in table.splitlines() if line.startswith("| 300 | HTTP w1 req/s"))
    assert row.count("|") == 8  # n, measure, three engines, two ratios


def test_every_engine_finds_the_same_people_for_every_query_in_the_mix(tmp_path):
    from benchmarks import fts5_baseline, tantivy_baseline
    from index.build import READY_FILE, index_dir, write_current, write_generation

    docs = list(listings(N))
    write_generation(index_dir(tmp_path) / "gen-1", docs)
    (index_dir(tmp_path) / "gen-1" / READY_FILE).write_text("test\n")
    write_current(tmp_path, "gen-1")
    fts5_baseline.build(tmp_path / "baseline.sqlite3", docs)
    tantivy_baseline.build(tmp_path / "tantivy", docs)
    service = SearchService(tmp_path)
    baselines = [
        BaselineSearch(tmp_path / "baseline.sqlite3"),
        tantivy_baseline.TantivySearch(tmp_path / "tantivy"),
    ]
    try:
        for query in QUERY_MIX:
            params = run._request_for(query)
            page = service.search(SearchRequest(**params, per_page=100))
            words = parse_patient_text(query[1]).words
            for baseline in baselines:
                found = baseline.search(**params, per_page=100)
                if words and isinstance(baseline, tantivy_baseline.TantivySearch):
                    # tantivy's English stemmer (Snowball) folds a little more than Porter
                    # (FTS5 and Whoosh): "dermatologists" is "dermatolog" there, so it may find
                    # more, never fewer
                    assert page.total <= found["total"], query
                    continue
                assert page.total == found["total"], (query, baseline)
                if query[2] is not None:  # with a place all order by distance, then by id/name
                    assert [r["distance_miles"] for r in page.results] == [
                        r["distance_miles"] for r in found["results"]
                    ], query
                # the same JSON-ready results: the same keys, from the same listings
                assert {r["id"] for r in found["results"]} <= {d.id for d in docs}
                if page.results and found["results"]:
                    assert set(page.results[0]) == set(found["results"][0])
            assert {r["id"] for r in page.results} <= {d.id for d in docs}
    finally:
        service.close()


def test_patient_words_are_quoted_for_fts5():
    assert match_expression(['say"', "or", "near"]) == '"say" "or" "near"'
    assert match_expression([]) is None
