"""A crash at any point leaves a consistent system of record and a serving index: kill -9 tests.

(a) A subprocess records observations in a loop (re-observing the same keys, payloads of random
    size) and is SIGKILLed at a random moment, three times over one database. After each kill the
    file passes `PRAGMA integrity_check`, every stored observation is whole, every commit the writer
    acknowledged is there, and a new writer carries on.
(b) A subprocess rebuilds the index from a store of a few thousand observations and is SIGKILLed at
    three moments after its new generation directory appears and before CURRENT changes. The old
    generation stays live and served, the build lock is free, and the next build succeeds and
    removes the half-written directories.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from index.build import READY_FILE, current_generation, generations, index_dir, rebuild
from index.records import Observation
from index.search import SearchRequest, SearchService
from index.store import Store
from tests.index.conftest import location, practitioner

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WAIT_LIMIT_SECONDS = 60.0
POLL_SECONDS = 0.001
KEYS = 97  # the writer cycles over this many source keys, so most commits are upserts
BUILD_PEOPLE = 4000

# The writer subprocess: one commit per observation, an acknowledgement line after each commit.
WRITER = r"""
import hashlib, random, sys
from datetime import datetime, timedelta, UTC
from index.records import Observation
from index.store import Store

path, start, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
store = Store(path)
run = store.start_run("practice_site", {"start": start})
print(f"run {run}", flush=True)
base = datetime(2026, 11, 1, tzinfo=UTC)
seq = start
while True:
    key = seq % 97
    filler = "".join(rng.choice("abcdefghij") for _ in range(rng.choice([10, 1000, 60000])))
    fetched = (base + timedelta(seconds=seq)).strftime("%Y-%m-%dT%H:%M:%SZ")
    store.record_observation(run, Observation(
        source="practice_site", kind="practitioner",
        source_key=f"https://crash-derm.test/#pat crash {key}",
        url="https://crash-derm.test/team.html", fetched_at=fetched,
        payload={"name": f"Pat Crash {key}", "seq": seq, "filler": filler,
                 "filler_sha1": hashlib.sha1(filler.encode()).hexdigest(), "locations": []},
    ))
    print(f"ok {key} {seq}", flush=True)
    seq += 1
"""

BUILDER = r"""
import sys
from pathlib import Path
from index.build import rebuild
rebuild(Path(sys.argv[1]))
"""


def child(code: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def kill(process: subprocess.Popen) -> bytes:
    """SIGKILL the child; returns what it had written to stdout that nobody had read yet."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=WAIT_LIMIT_SECONDS)
    assert process.returncode == -signal.SIGKILL
    unread = process.stdout.read()
    process.stdout.close()
    process.stderr.close()
    return unread


# --- (a) the store writer ------------------------------------------------------------------------


def run_writer_until_killed(db: Path, start: int, rng: random.Random) -> tuple[int, dict[int, int]]:
    """Start a writer, let it acknowledge a random number of commits, SIGKILL it.

    Returns its run id and, per key, the newest sequence number it acknowledged."""
    target = rng.randint(20, 120)
    process = child(WRITER, db, start, rng.randrange(1 << 30))
    acknowledged: dict[int, int] = {}
    run_id = None
    try:
        while True:
            line = process.stdout.readline().decode()
            assert line, process.stderr.read().decode()
            word, *rest = line.split()
            if word == "run":
                run_id = int(rest[0])
                continue
            key, seq = int(rest[0]), int(rest[1])
            acknowledged[key] = seq
            target -= 1
            if target <= 0:
                break
    finally:
        # The writer is mid-way through its next observation (or between two): a random moment.
        unread = kill(process)
    # Acknowledgements it printed before it died but the loop had not read yet are commits too.
    for line in unread.decode().splitlines():
        word, *rest = line.split()
        if word != "run" and len(rest) == 2:
            acknowledged[int(rest[0])] = int(rest[1])
    assert run_id is not None
    return run_id, acknowledged


def check_store(db: Path, acknowledged: dict[int, int], newest_started: int) -> None:
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    store = Store(db)
    try:
        runs = {run.id: run for run in store.runs()}
        stored = store.observations()
        by_key: dict[int, int] = {}
        for entry in stored:
            payload = entry.observation.payload
            filler = payload["filler"]
            assert hashlib.sha1(filler.encode()).hexdigest() == payload["filler_sha1"]
            assert entry.first_seen <= entry.last_seen
            assert entry.run_id in runs
            key = int(entry.observation.source_key.rsplit(" ", 1)[1])
            assert key not in by_key, "an upsert left a duplicate"
            by_key[key] = payload["seq"]
        for key, seq in acknowledged.items():
            # Every acknowledged commit survived; at most the one in flight came after it.
            assert key in by_key, f"acknowledged key {key} lost"
            assert by_key[key] >= seq
        assert max(by_key.values()) <= newest_started
    finally:
        store.close()


def test_a_store_writer_killed_at_random_moments_leaves_a_consistent_store(tmp_path):
    db = tmp_path / "store.sqlite3"
    rng = random.Random(4242)
    acknowledged: dict[int, int] = {}
    start = 0
    killed_runs = []
    for _ in range(3):
        run_id, acked = run_writer_until_killed(db, start, rng)
        killed_runs.append(run_id)
        acknowledged.update(acked)
        newest = max(acked.values()) + 1  # the commit that may have been in flight
        check_store(db, acknowledged, newest)
        start = newest + 1

    # A new writer carries on in the same file, and the killed runs are still on record.
    store = Store(db)
    try:
        run = store.start_run("practice_site", {"after": "crash"})
        store.record_observation(
            run,
            Observation(
                source="practice_site",
                kind="practitioner",
                source_key="https://crash-derm.test/#pat crash 0",
                url="https://crash-derm.test/team.html",
                fetched_at="2026-12-01T00:00:00Z",
                payload={"name": "Pat Crash 0", "seq": start, "filler": "", "locations": []},
            ),
        )
        store.finish_run(run, "finished", {"observations": 1}, [])
        runs = {r.id: r for r in store.runs()}
        assert [runs[r].status for r in killed_runs] == ["running"] * 3
        assert runs[run].status == "finished"
        (mine,) = [s for s in store.observations() if s.observation.payload["seq"] == start]
        assert mine.last_seen == "2026-12-01T00:00:00Z" and mine.first_seen < mine.last_seen
    finally:
        store.close()


# --- (b) the index build -------------------------------------------------------------------------


def seed_store(data_dir: Path) -> None:
    store = Store(data_dir / "store.sqlite3")
    try:
        run = store.start_run("nppes", {})
        for number in range(BUILD_PEOPLE):
            store.record_observation(
                run,
                practitioner(
                    name=f"Pat Buildtest{number}",
                    npi=f"1{number:08d}0",
                    locations=[location(phone=f"+1512555{number % 100:02d}01")],
                ),
            )
    finally:
        store.close()


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the build ended before {what}: {process.stderr.read().decode()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)


def newest_generation_dir(data_dir: Path) -> Path:
    numbers = [
        int(child.name.split("-")[1])
        for child in index_dir(data_dir).iterdir()
        if child.name.startswith("gen-")
    ]
    return index_dir(data_dir) / f"gen-{max(numbers) + 1}"


def lock_is_free(data_dir: Path) -> bool:
    with open(index_dir(data_dir) / "build.lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return True


def serves(data_dir: Path, generation: str, name: str, total: int) -> None:
    service = SearchService(data_dir)
    try:
        assert service.generation == generation
        page = service.search(SearchRequest(q=name, near="78701", radius=50, per_page=5))
        assert page.total >= 1 and page.results[0]["name"] == name
        everyone = service.search(SearchRequest(near="78701", radius=50, per_page=1))
        assert everyone.total == total
    finally:
        service.close()


# When to pull the plug: the generation directory exists; the Whoosh writer has opened it (its
# lock and segment files appear); the listings file (written after the Whoosh commit) has appeared.
KILL_MOMENTS: dict[str, Callable[[Path], bool]] = {
    "directory created": lambda path: path.is_dir(),
    "index writer open": lambda path: path.is_dir() and any(path.iterdir()),
    "listings file being written": lambda path: (path / "listings.jsonl").exists(),
}


def test_an_index_build_killed_before_the_swap_leaves_the_old_generation_serving(tmp_path):
    data_dir = tmp_path / "data"
    seed_store(data_dir)
    first = rebuild(data_dir, now=NOW)
    assert first.listings == BUILD_PEOPLE
    # Something for the next generation to change: a new name the old one does not know.
    store = Store(data_dir / "store.sqlite3")
    try:
        run = store.start_run("nppes", {})
        store.record_observation(
            run, practitioner(name="Quinn Aftercrash", npi="1234567893", fetched_at=NOW.isoformat())
        )
    finally:
        store.close()

    half_written = []
    for moment, reached in KILL_MOMENTS.items():
        target = newest_generation_dir(data_dir)
        process = child(BUILDER, data_dir)
        try:
            wait_for(lambda target=target, reached=reached: reached(target), process, moment)
            before_kill = current_generation(data_dir)
        finally:
            kill(process)
        assert before_kill == first.generation, f"the swap happened before the kill ({moment})"
        half_written.append(target.name)

        assert current_generation(data_dir) == first.generation, moment
        assert not (target / READY_FILE).exists(), moment
        assert generations(data_dir) == [first.generation], moment
        assert lock_is_free(data_dir), moment
        serves(data_dir, first.generation, "Pat Buildtest1234", BUILD_PEOPLE)

    report = rebuild(data_dir, now=NOW)
    assert report.generation not in half_written
    assert current_generation(data_dir) == report.generation
    assert report.listings == BUILD_PEOPLE + 1
    left = {child.name for child in index_dir(data_dir).iterdir() if child.is_dir()}
    assert left == {first.generation, report.generation}, "half-written generations remain"
    serves(data_dir, report.generation, "Quinn Aftercrash", BUILD_PEOPLE + 1)
    assert os.path.exists(index_dir(data_dir) / report.generation / READY_FILE)
