"""SearchService over a real built generation: geo order, filters, facets, errors, reloads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.build import rebuild, rollback
from index.resolve import cluster_id
from index.search import IndexUnavailable, SearchError, SearchRequest, SearchService
from index.store import Store
from tests.index.conftest import evidence, location, practitioner

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
AUSTIN = location(street="100 Congress Ave", postal_code="78701", phone="+15125550101")
ROUND_ROCK = location(
    street="2 Main St",
    city="Round Rock",
    postal_code="78664",
    phone="+15125550102",
    practice="North Skin",
)
HOUSTON = location(
    street="5 Main St",
    city="Houston",
    postal_code="77002",
    phone="+17135550103",
    practice="Bayou Plastics",
)
SAN_ANTONIO = location(
    street="7 Alamo Plaza",
    city="San Antonio",
    postal_code="78205",
    phone="+12105550104",
    practice="Alamo Derm",
)


def people():
    return [
        # Ana: Austin, offers microneedling (practice-site quote), dermatology.
        practitioner(name="Ana Ruiz", npi="1234567893", locations=[AUSTIN]),
        practitioner(
            name="Ana Ruiz",
            source="practice_site",
            npi=None,
            website="https://lakeside-derm.test/",
            locations=[AUSTIN],
            evidence_list=[evidence()],
        ),
        # Nina: Round Rock and Houston (one person, two offices), plastic surgery, no evidence.
        practitioner(
            name="Nina Park",
            npi="1245319599",
            specialties=["plastic-surgery"],
            locations=[ROUND_ROCK, HOUSTON],
        ),
        # Omar: Houston, stopped offering it.
        practitioner(name="Omar Vance", npi="1679576722", locations=[HOUSTON]),
        practitioner(
            name="Omar Vance",
            source="practice_site",
            npi=None,
            website="https://bayou.test/",
            locations=[HOUSTON],
            evidence_list=[evidence(quote="We no longer offer microneedling.", negated=True)],
        ),
        # Lena: Austin too, offers it, but not seen for a year (stale).
        practitioner(
            name="Lena Cho",
            npi="1093817009",
            locations=[
                location(street="300 Lamar Blvd", postal_code="78703", phone="+15125550105")
            ],
            fetched_at="2025-10-01T00:00:00Z",
        ),
        practitioner(
            name="Lena Cho",
            source="practice_site",
            npi=None,
            website="https://cho.test/",
            locations=[
                location(street="300 Lamar Blvd", postal_code="78703", phone="+15125550105")
            ],
            fetched_at="2025-10-01T00:00:00Z",
            evidence_list=[
                evidence(
                    quote="Dr. Cho offers Morpheus8 microneedling.", seen_at="2025-10-01T00:00:00Z"
                )
            ],
        ),
        # Sam: San Antonio, hidden by NPPES deactivation.
        practitioner(
            name="Sam Ortiz", npi="1548296305", locations=[SAN_ANTONIO], status="deactivated"
        ),
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("search") / "data"
    store = Store(data_dir / "store.sqlite3")
    run = store.start_run("nppes", {})
    for observation in people():
        store.record_observation(run, observation)
    store.close()
    rebuild(data_dir, now=NOW)
    return data_dir


@pytest.fixture
def service(built):
    service = SearchService(built)
    yield service
    service.close()


def names(page) -> list[str]:
    return [result["name"] for result in page.results]


def test_near_search_orders_by_distance_within_the_radius(service):
    page = service.search(SearchRequest(near="78701", radius=30))
    assert names(page) == [
        "Ana Ruiz",
        "Nina Park",
        "Lena Cho",
    ]  # Lena is closer than Nina but stale
    assert page.place["label"].startswith("Austin, TX")
    distances = [r["distance_miles"] for r in page.results[:2]]
    assert distances == sorted(distances)


def test_radius_excludes_people_farther_away(service):
    assert names(service.search(SearchRequest(near="78701", radius=5))) == ["Ana Ruiz", "Lena Cho"]
    everyone = service.search(SearchRequest(near="78701", radius=200))
    assert set(names(everyone)) == {"Ana Ruiz", "Nina Park", "Omar Vance", "Lena Cho"}


def test_one_result_per_person_at_the_nearest_location(service):
    page = service.search(SearchRequest(near="Houston, TX", radius=200))
    assert names(page).count("Nina Park") == 1
    nina = next(r for r in page.results if r["name"] == "Nina Park")
    assert nina["distance_miles"] < 10
    assert len(nina["locations"]) == 2


def test_procedure_filter_keeps_only_people_with_positive_evidence(service):
    page = service.search(SearchRequest(near="78701", radius=200, procedure="microneedling"))
    assert names(page) == ["Ana Ruiz", "Lena Cho"]
    assert page.results[0]["microneedling_evidence"]["quote"].startswith("Dr. Ruiz offers")


def test_specialty_filter_and_facets(service):
    page = service.search(SearchRequest(near="78701", radius=200, specialty="plastic-surgery"))
    assert names(page) == ["Nina Park"]
    assert page.facets["specialty"] == {"dermatology": 3, "plastic-surgery": 1}


def test_text_search_finds_by_name_without_near(service):
    page = service.search(SearchRequest(q="park"))
    assert names(page) == ["Nina Park"]
    assert page.place is None and page.results[0]["distance_miles"] is None


def test_lay_terms_find_people_who_offer_it_and_rank_fresh_evidence_first(service):
    assert names(service.search(SearchRequest(q="acne scars"))) == ["Ana Ruiz", "Lena Cho"]


def test_listing_everyone_ranks_evidence_first_and_stale_last(service):
    assert names(service.search(SearchRequest())) == [
        "Ana Ruiz",
        "Nina Park",
        "Omar Vance",
        "Lena Cho",
    ]


def test_text_and_near_combine(service):
    assert names(service.search(SearchRequest(near="Austin, TX", radius=200, q="Vance"))) == [
        "Omar Vance"
    ]


def test_misspelt_text_gets_a_suggestion(service):
    page = service.search(SearchRequest(q="vanse"))
    assert page.total == 0
    assert page.suggestion == "vance"


def test_the_did_you_mean_vocabulary_is_written_by_the_build_and_loaded_at_open(built, service):
    from index.build import current_generation, index_dir
    from index.suggest import SPELLING_FILE, SpellingVocabulary

    path = index_dir(built) / current_generation(built) / SPELLING_FILE
    written = SpellingVocabulary.read(path)
    assert written is not None and "vance" in written.names and "ruiz" in written.names
    generation, searcher = service._current()
    # the same vocabulary the index itself holds, already there before any misspelling
    assert generation._spelling == SpellingVocabulary.from_searcher(searcher)


def test_words_no_listing_has_are_known_absent_without_the_index(service):
    generation, _ = service._current()
    assert generation.surely_absent("xylophon")
    assert not generation.surely_absent("vanc")  # Omar Vance's stemmed name
    assert service.search(SearchRequest(q="xylophone")).total == 0
    assert service.search(SearchRequest(q="xylophone", near="78701", radius=200)).total == 0
    assert names(service.search(SearchRequest(q="vance", near="78701", radius=200))) == [
        "Omar Vance"
    ]


def test_a_generation_without_the_vocabulary_file_still_suggests(built, tmp_path):
    import shutil

    from index.build import current_generation, index_dir, write_current
    from index.suggest import SPELLING_FILE

    copy = tmp_path / "data"
    live = current_generation(built)
    shutil.copytree(index_dir(built) / live, index_dir(copy) / live)
    (index_dir(copy) / live / SPELLING_FILE).unlink()
    write_current(copy, live)
    service = SearchService(copy)
    try:
        assert service._current()[0]._spelling is None
        assert service.search(SearchRequest(q="vanse")).suggestion == "vance"
    finally:
        service.close()


def test_pagination_slices_a_stable_order(service):
    first = service.search(SearchRequest(near="78701", radius=200, per_page=3))
    second = service.search(SearchRequest(near="78701", radius=200, per_page=3, page=2))
    assert first.total == second.total == 4
    assert len(first.results) == 3 and len(second.results) == 1
    assert not set(names(first)) & set(names(second))


def test_hidden_people_are_never_found_or_fetched(service):
    everyone = service.search(SearchRequest(near="78205", radius=200))
    assert "Sam Ortiz" not in names(everyone)
    assert service.get(cluster_id("npi:1548296305")) is None


def test_get_returns_the_full_listing(service):
    listing = service.get(cluster_id("npi:1234567893"))
    assert listing.name == "Ana Ruiz" and listing.offers_microneedling is True
    assert service.get("p-0000000000") is None


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(near="78701", radius=0),
        SearchRequest(near="78701", radius=201),
        SearchRequest(radius=float("nan")),
        SearchRequest(page=0),
        SearchRequest(page=1001),
        SearchRequest(per_page=0),
        SearchRequest(per_page=101),
        SearchRequest(page="two"),
        SearchRequest(specialty="podiatry"),
        SearchRequest(procedure="botox"),
        SearchRequest(q="x" * 201),
        SearchRequest(near="Atlantis, ZZ"),
        SearchRequest(near="00000"),
    ],
)
def test_bad_requests_raise_search_error_with_a_message(service, request_):
    with pytest.raises(SearchError) as error:
        service.search(request_)
    assert str(error.value)


def test_service_without_an_index_says_so(tmp_path):
    service = SearchService(tmp_path)
    with pytest.raises(IndexUnavailable):
        service.search(SearchRequest())
    service.close()


def test_each_thread_gets_its_own_searcher(service):
    seen: list = []
    errors: list = []

    def work():
        try:
            service.search(SearchRequest(q="ruiz"))
            seen.append(service._local.searcher)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({id(searcher) for searcher in seen}) == 3


def test_service_switches_to_a_new_generation_when_current_changes(tmp_path):
    data_dir = tmp_path / "data"
    store = Store(data_dir / "store.sqlite3")
    run = store.start_run("nppes", {})
    store.record_observation(run, practitioner(name="Ana Ruiz"))
    rebuild(data_dir, now=NOW)
    service = SearchService(data_dir, check_interval=0)
    try:
        assert service.search(SearchRequest(q="park")).total == 0
        store.record_observation(run, practitioner(name="Nina Park", npi="1245319599"))
        rebuild(data_dir, now=NOW)
        assert service.search(SearchRequest(q="park")).total == 1
        assert service.generation == "gen-2"
        rollback(data_dir)
        assert service.search(SearchRequest(q="park")).total == 0
    finally:
        service.close()
        store.close()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=220), near=st.one_of(st.none(), st.text(max_size=30)))
def test_arbitrary_patient_input_yields_a_page_or_a_search_error(built, q, near):
    service = SearchService(built)
    try:
        page = service.search(SearchRequest(q=q, near=near, radius=200))
    except SearchError as error:
        assert str(error)
    else:
        assert page.total == len({r["id"] for r in page.results}) or page.total > page.per_page
    finally:
        service.close()


def test_a_broken_current_keeps_the_service_up_and_unavailable(tmp_path, caplog):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "CURRENT").write_text("gen-9\n")
    service = SearchService(tmp_path, check_interval=0)
    try:
        with pytest.raises(IndexUnavailable):
            service.search(SearchRequest())
        assert "cannot open index generation" in caplog.text
    finally:
        service.close()


def test_service_started_before_the_first_build_picks_it_up(tmp_path):
    service = SearchService(tmp_path / "data", check_interval=0)
    try:
        with pytest.raises(IndexUnavailable):
            service.search(SearchRequest())
        store = Store(tmp_path / "data" / "store.sqlite3")
        store.record_observation(store.start_run("nppes", {}), practitioner())
        store.close()
        rebuild(tmp_path / "data", now=NOW)
        assert names(service.search(SearchRequest())) == ["Ana Ruiz"]
    finally:
        service.close()


def test_cached_results_stay_within_their_bound_and_answers_do_not_change(built, monkeypatch):
    import index.generation

    requests = [
        SearchRequest(near="78701"),
        SearchRequest(q="Ruiz"),
        SearchRequest(procedure="microneedling"),
        SearchRequest(near="77002", radius=100, specialty="plastic-surgery"),
    ]
    first = SearchService(built)
    try:
        expected = [first.search(request) for request in requests]
    finally:
        first.close()
    monkeypatch.setattr(index.generation, "RESULT_CACHE_DOCS", 2)
    service = SearchService(built)
    try:
        for _ in range(2):
            assert [service.search(request) for request in requests] == expected
            generation, _ = service._current()
            assert len(generation._results) == 1 or generation._results_size <= 2
    finally:
        service.close()
