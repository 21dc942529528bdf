"""Generation internals that keep a national-size directory small and its caches useful."""

from __future__ import annotations

from array import array

from index import generation as generation_module
from index.generation import IdIndex
from index.ranking import Ranked


def test_ids_are_found_by_binary_search_when_sorted_and_by_dictionary_otherwise():
    ids = ["p-01", "p-05", "p-09"]
    index = IdIndex(ids)
    assert [index.get(i) for i in ids] == [0, 1, 2]
    assert index.get("p-02") is None and "p-10" not in index
    ids.append("p-03")  # a listing added by a patch, out of order
    index["p-03"] = 3
    assert index.get("p-03") == 3 and index.get("p-09") == 2
    unsorted = IdIndex(["b", "a", "c"])
    assert [unsorted.get(i) for i in ("a", "b", "c", "d")] == [1, 0, 2, None]


class _Bare(generation_module.Generation):
    def __init__(self) -> None:  # only the cache, none of the files
        import threading
        from collections import OrderedDict

        self.version = 0
        self._lock = threading.Lock()
        self._results = OrderedDict()
        self._results_size = 0
        self._browse = {}


def test_browsing_lists_stay_cached_however_many_other_results_come(monkeypatch):
    monkeypatch.setattr(generation_module, "RESULT_CACHE_DOCS", 10)
    cache = _Bare()
    browse_key = (0, (), False, None)
    cache.remember(browse_key, Ranked(order=array("I", range(50)), distances=None, facets={}))
    for number in range(20):
        key = (0, (f"word{number}",), False, None)
        cache.remember(key, Ranked(order=array("I", range(5)), distances=None, facets={}))
    assert cache.cached_ranking(browse_key) is not None
    assert cache.cached_ranking((0, ("word0",), False, None)) is None  # evicted, as bounded
    assert cache.cached_ranking((0, ("word19",), False, None)) is not None


def test_words_first_or_place_first_rank_a_text_and_place_query_the_same(tmp_path, monkeypatch):
    from benchmarks.synth import listings
    from index import ranking
    from index.build import READY_FILE, index_dir, write_current, write_generation
    from index.geo import place_for
    from index.query import parse_patient_text
    from index.search import SearchService

    docs = list(listings(400))
    write_generation(index_dir(tmp_path) / "gen-1", docs)
    (index_dir(tmp_path) / "gen-1" / READY_FILE).write_text("test\n")
    write_current(tmp_path, "gen-1")
    service = SearchService(tmp_path)
    try:
        generation, searcher = service._current()
        # someone's surname near their own city, and a common word near a ZIP
        queries = [
            (doc.name.split()[-1], f"{doc.locations[0]['city']}, {doc.locations[0]['state']}")
            for doc in docs[:4]
        ] + [("dermatology", docs[5].locations[0]["postal_code"])]
        for text, near in queries:
            parsed, place = parse_patient_text(text), place_for(near)
            results = []
            for factor in (0, 10**9):  # 0: always words first; huge: always place first
                monkeypatch.setattr(ranking, "TEXT_FIRST_FACTOR", factor)
                generation._results.clear()
                ranked = ranking.rank_matches(generation, searcher, parsed, False, place, 50.0)
                results.append((list(ranked.order), list(ranked.distances), ranked.facets))
            assert results[0] == results[1], text
            assert results[0][0], text  # the query finds someone, so the comparison says something
    finally:
        service.close()
