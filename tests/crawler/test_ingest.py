"""The item stream and `skinmap ingest` on a real redis-server and a real store
(crawler/item_stream.py, crawler/ingest.py): at least once through Redis, exactly once in SQLite."""

from __future__ import annotations

import pytest

from crawler.distributed import RedisKeys, connect
from crawler.ingest import GROUP, Ingest
from crawler.item_stream import BadEntry, Delivery, delivery_id
from index.records import Observation
from index.store import Store
from tests.crawler.redis_helpers import RedisServer

KEYS = RedisKeys("t-ingest")


def _observation(n: int, fetched_at: str = "2026-12-01T10:00:00Z") -> Observation:
    return Observation(
        source="practice_site",
        kind="practice",
        source_key=f"http://127.0.1.{n}:8000/",
        url=f"http://127.0.1.{n}:8000/",
        fetched_at=fetched_at,
        payload={"name": f"Clinic {n}", "website": f"http://127.0.1.{n}:8000/"},
    )


def _push(server, observation: Observation, worker: str = "w1") -> str:
    delivery = Delivery(delivery_id(KEYS.prefix, observation.key), observation, worker)
    server.xadd(KEYS.items, delivery.fields())
    return delivery.id


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture
def server(redis_url):
    client = connect(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite3") as opened:
        yield opened


def _ingest(server, store, consumer: str, reclaim_after_s: float = 60) -> Ingest:
    ingest = Ingest(server, KEYS, store, None, reclaim_after_s=reclaim_after_s, consumer=consumer)
    ingest.ensure_group()
    return ingest


def _drain(ingest: Ingest) -> None:
    while ingest.step(block_ms=1):
        pass


# ------------------------------------------------------------------------------------ pure parts


def test_a_delivery_id_is_stable_for_one_observation_in_one_crawl():
    key = _observation(1).key
    assert delivery_id("skinmap:crawl-1", key) == delivery_id("skinmap:crawl-1", key)
    assert delivery_id("skinmap:crawl-1", key) != delivery_id("skinmap:crawl-2", key)
    assert delivery_id("skinmap:crawl-1", key) != delivery_id("skinmap:crawl-1", key + "x")


def test_a_delivery_survives_its_stream_encoding():
    delivery = Delivery("abc", _observation(3), "host:12")
    encoded = {k.encode(): v.encode() for k, v in delivery.fields().items()}
    assert Delivery.from_fields(encoded) == delivery


@pytest.mark.parametrize(
    "fields",
    [{}, {"delivery": "x", "observation": "{not json"}, {"delivery": "x", "observation": "{}"}],
)
def test_an_entry_that_is_not_an_observation_is_refused(fields):
    with pytest.raises(BadEntry):
        Delivery.from_fields(fields)


# ------------------------------------------------------------------------ on a real redis-server


@pytest.mark.slow
def test_an_item_delivered_twice_is_one_observation(server, store):
    _push(server, _observation(1))
    _push(server, _observation(1, fetched_at="2026-12-01T11:00:00Z"))  # the site crawled again
    _push(server, _observation(2))
    ingest = _ingest(server, store, "i1")

    _drain(ingest)

    assert [o.observation.source_key for o in store.observations()] == [
        "http://127.0.1.1:8000/",
        "http://127.0.1.2:8000/",
    ]
    assert store.delivery_count() == 2
    assert (ingest.counts.applied, ingest.counts.repeated) == (2, 1)
    assert ingest.waiting() == 0  # acknowledged entries leave the stream


@pytest.mark.slow
def test_items_read_by_an_ingest_that_died_before_committing_are_taken_over(server, store):
    for n in (1, 2, 3):
        _push(server, _observation(n))
    dead = _ingest(server, store, "dead")
    read = server.xreadgroup(GROUP, "dead", {KEYS.items: ">"}, count=10)  # then it is killed
    assert len(read[0][1]) == 3
    assert store.observations() == []

    survivor = _ingest(server, store, "survivor", reclaim_after_s=0)
    _drain(survivor)

    assert len(store.observations()) == 3
    assert survivor.counts.reclaimed == 3
    assert server.xpending(KEYS.items, GROUP)["pending"] == 0
    assert dead.waiting() == 0


@pytest.mark.slow
def test_items_committed_but_not_acknowledged_are_skipped_when_delivered_again(server, store):
    ids = [_push(server, _observation(n)) for n in (1, 2)]
    # An ingest committed this batch and was killed before its XACK.
    server.xgroup_create(KEYS.items, GROUP, id="0")
    server.xreadgroup(GROUP, "killed", {KEYS.items: ">"}, count=10)
    store.record_deliveries(None, [(ids[0], _observation(1)), (ids[1], _observation(2))])
    before = [(o.id, o.last_seen) for o in store.observations()]

    survivor = _ingest(server, store, "survivor", reclaim_after_s=0)
    _drain(survivor)

    assert [(o.id, o.last_seen) for o in store.observations()] == before
    assert (survivor.counts.applied, survivor.counts.repeated) == (0, 2)
    assert survivor.waiting() == 0


@pytest.mark.slow
def test_a_stream_entry_that_is_not_an_item_is_rejected_and_acknowledged(server, store):
    server.xadd(KEYS.items, {"junk": "1"})
    _push(server, _observation(1))
    ingest = _ingest(server, store, "i1")
    _drain(ingest)
    assert ingest.counts.rejected == 1
    assert len(store.observations()) == 1
    assert [r["reason"][:16] for r in store.rejections()] == ["bad_stream_entry"]
    assert ingest.waiting() == 0
