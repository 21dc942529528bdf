import json

import pytest

from crawler.spiders.nppes import query_url, split_prefixes, zip_prefixes
from tests.crawler.crawl_helpers import crawl_runs, run_crawl, stored_observations
from tests.crawler.fake_npi_api import FakeNpiApi


def test_query_urls_carry_version_limit_skip_and_zip_wildcard():
    url = query_url("http://127.0.0.1:9/api/", "TX", "Dermatology", 400, "787")
    assert url.startswith(
        "http://127.0.0.1:9/api/?version=2.1&state=TX&taxonomy_description=Dermatology"
    )
    assert "postal_code=787%2A" in url and "limit=200" in url and "skip=400" in url


def test_splits_go_from_state_zip3_prefixes_to_one_more_digit():
    assert split_prefixes("DE", None) == list(zip_prefixes("DE")) == ["197", "198", "199"]
    assert split_prefixes("DE", "197") == [f"197{d}" for d in range(10)]
    assert split_prefixes("DE", "19701") == []


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, realdata):
    dermatologist = json.loads(
        (realdata / "npi_api" / "npi_v21_2026_DERIVED_dermatologist_1295729051.json").read_text()
    )["results"][0]
    therapist = json.loads(
        (realdata / "npi_api" / "npi_v21_2026_raw_compact_name_search_1_result.json").read_text()
    )["results"][0]
    api = FakeNpiApi(dermatologist, therapist)
    data_dir = tmp_path_factory.mktemp("nppes")
    try:
        code, stderr = run_crawl("nppes", data_dir, {"api_url": api.url, "states": ["DE"]})
    finally:
        api.close()
    assert code == 0, stderr[-3000:]
    return api, data_dir


@pytest.mark.slow
def test_full_pages_are_paged_to_skip_1000_then_split_by_zip_prefix(crawled):
    api, _ = crawled
    unsplit = [
        q
        for q in api.requests
        if q.get("taxonomy_description") == "Dermatology" and "postal_code" not in q
    ]
    assert sorted(int(q["skip"]) for q in unsplit) == [0, 200, 400, 600, 800, 1000]
    assert all(q["limit"] == "200" and q["version"] == "2.1" for q in api.requests)
    split = sorted(q["postal_code"] for q in api.requests if "postal_code" in q)
    assert split == ["197*", "198*", "199*"]


@pytest.mark.slow
def test_target_codes_only_and_each_npi_once(crawled):
    _, data_dir = crawled
    observations = stored_observations(data_dir)
    npis = [o.source_key for o in observations]
    assert (
        len(npis) == len(set(npis)) == 1200 + 3
    )  # the repeated NPI and the therapist are not stored
    assert all(
        o.payload["specialties"] == ["dermatology"] and o.source == "nppes" for o in observations
    )


@pytest.mark.slow
def test_api_errors_are_counted_and_the_run_still_finishes(crawled):
    _, data_dir = crawled
    [run] = crawl_runs(data_dir)
    assert run.status == "finished"
    assert run.stats["nppes/api_error"] == 1
    assert run.stats["nppes/split"] == 1
    assert run.stats["nppes/duplicate"] == 1
    assert run.stats["nppes/not_target"] == 1
