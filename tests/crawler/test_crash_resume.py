"""Crash safety of the practice crawl: SIGKILL mid-crawl, rerun with --resume, nothing lost, nothing
doubled, and the result equals a clean crawl's.

One data directory lives through four crawls of the demo web (skinmap/demoweb.py):
1. a clean crawl (no --resume): the reference result, and observations already committed;
2. a --resume crawl, slowed down, SIGKILLed once it has fetched about half the pages;
3. the same --resume crawl again, to completion;
4. one more --resume crawl: a finished job must not leave state that turns the next crawl into a no-op.

A second data directory sees a --resume crawl SIGKILLed while it commits its observations (a test
pipeline slows the commits down so the kill lands between two of them), then the rerun.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.store import Store
from skinmap.demoweb import start_demo_web

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CRAWL_TIME_LIMIT = 60.0
# Slow enough that a kill lands mid-crawl, fast enough that the test stays short.
SLOW_DELAY = "0.25"
_CRAWLED_LINE = re.compile(rb"Crawled \(\d+\)")
# Fields that record when something was seen, not what was seen.
_TIME_FIELDS = {"seen_at", "fetched_at"}
COMMIT_DELAY_SECONDS = 0.1
# The project's pipelines with SlowCommitPipeline (below) in front of the store.
SLOW_COMMIT_PIPELINES = json.dumps(
    {
        "crawler.pipelines.ValidatePipeline": 100,
        "tests.crawler.test_crash_resume.SlowCommitPipeline": 200,
        "crawler.pipelines.StorePipeline": 300,
    }
)


class SlowCommitPipeline:
    """Test-only item pipeline (loaded by the crawl subprocess): waits before each commit."""

    def process_item(self, item):
        time.sleep(COMMIT_DELAY_SECONDS)  # blocks the reactor on purpose: nothing else is running
        return item


@dataclass
class Snapshot:
    payloads: dict[str, str]  # "source|kind|source_key" -> canonical payload JSON
    run_ids: dict[str, int | None]


def canonical(value):
    """`value` with time fields dropped and lists sorted, so crawl order does not matter."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items()) if k not in _TIME_FIELDS}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def snapshot(data_dir: Path) -> Snapshot:
    store = Store(data_dir / "store.sqlite3")
    try:
        stored = store.observations()
    finally:
        store.close()
    return Snapshot(
        payloads={
            o.key: json.dumps(canonical(o.observation.payload), sort_keys=True) for o in stored
        },
        run_ids={o.key: o.run_id for o in stored},
    )


def duplicate_keys(data_dir: Path) -> list[tuple]:
    """(source, kind, source_key) stored more than once, read straight from SQLite."""
    with sqlite3.connect(data_dir / "store.sqlite3") as db:
        return db.execute(
            "SELECT source, kind, source_key, COUNT(*) FROM observations "
            "GROUP BY source, kind, source_key HAVING COUNT(*) > 1"
        ).fetchall()


def crawl_argv(data_dir: Path, urls: list[str], *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), "crawl", "practices"]
    for url in urls:
        argv += ["--start-url", url]
    # Scrapy's own log on the terminal too: the test counts its "Crawled (200)" lines
    return argv + ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_ENABLED=True", *extra]


def run_to_completion(argv: list[str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        argv, cwd=REPO, capture_output=True, timeout=CRAWL_TIME_LIMIT, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:].decode("utf-8", "replace")
    return result


def crawled_pages(output: bytes) -> int:
    return len(_CRAWLED_LINE.findall(output))


def stored_count(data_dir: Path) -> int:
    """How many observations are committed (0 while the store is still being created)."""
    try:
        with sqlite3.connect(f"file:{data_dir / 'store.sqlite3'}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM observations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def kill_when(argv: list[str], log_path: Path, ready) -> None:
    """Run `argv` and SIGKILL it as soon as `ready()` is true; fail if it ends before that."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + CRAWL_TIME_LIMIT
        while not ready():
            if process.poll() is not None:
                pytest.fail("the slowed crawl ended before it could be killed")
            if time.monotonic() > deadline:
                process.kill()
                process.wait(timeout=10)
                pytest.fail("the crawl never got to the point where it should be killed")
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def last_run_id(data_dir: Path) -> int:
    store = Store(data_dir / "store.sqlite3")
    try:
        return store.runs()[-1].id
    finally:
        store.close()


@dataclass
class CrashStory:
    reference: Snapshot
    reference_pages: int
    after_kill: Snapshot
    pages_before_kill: int
    killed_run: int
    final: Snapshot
    rerun: int
    rerun_status: str
    rerun_pages: int
    duplicates: list[tuple]
    next_crawl: Snapshot
    next_run: int
    committed_before_kill: Snapshot  # second directory: killed between two commits
    after_commit_kill: Snapshot
    commit_duplicates: list[tuple]


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> CrashStory:
    data_dir = tmp_path_factory.mktemp("crash")
    with start_demo_web() as web:
        urls = [site.url for site in web.sites]
        # 1. Clean crawl: the reference, and committed observations the crash must not lose.
        clean = run_to_completion(
            crawl_argv(data_dir, urls, "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=DEBUG")
        )
        reference = snapshot(data_dir)
        reference_pages = crawled_pages(clean.stderr)
        assert reference.payloads and reference_pages > 20

        # 2. A resumable crawl, killed with SIGKILL once it has fetched about half the pages.
        log_path = data_dir / "killed-crawl.log"
        argv = crawl_argv(
            data_dir,
            urls,
            "--resume",
            "-s",
            f"DOWNLOAD_DELAY={SLOW_DELAY}",
            "-s",
            "LOG_LEVEL=DEBUG",
        )
        kill_when(
            argv, log_path, lambda: crawled_pages(log_path.read_bytes()) >= reference_pages // 2
        )
        killed_run = last_run_id(data_dir)
        after_kill = snapshot(data_dir)
        pages_before_kill = crawled_pages(log_path.read_bytes())

        # 3. The same resumable crawl again, to completion.
        resumed = run_to_completion(
            crawl_argv(
                data_dir, urls, "--resume", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=DEBUG"
            )
        )
        rerun_pages = crawled_pages(resumed.stderr)
        rerun = last_run_id(data_dir)
        store = Store(data_dir / "store.sqlite3")
        try:
            rerun_status = store.runs()[-1].status
        finally:
            store.close()
        final = snapshot(data_dir)
        duplicates = duplicate_keys(data_dir)

        # 4. The next resumable crawl, after a finished one.
        run_to_completion(crawl_argv(data_dir, urls, "--resume", "-s", "DOWNLOAD_DELAY=0"))
        next_run = last_run_id(data_dir)
        next_crawl = snapshot(data_dir)

        # Second data directory: SIGKILL between two commits, then rerun.
        commit_dir = tmp_path_factory.mktemp("crash-commit")
        slow_commits = crawl_argv(
            commit_dir,
            urls,
            "--resume",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            f"ITEM_PIPELINES={SLOW_COMMIT_PIPELINES}",
        )
        kill_when(
            slow_commits, commit_dir / "killed-crawl.log", lambda: stored_count(commit_dir) >= 3
        )
        committed_before_kill = snapshot(commit_dir)
        run_to_completion(crawl_argv(commit_dir, urls, "--resume", "-s", "DOWNLOAD_DELAY=0"))
        after_commit_kill = snapshot(commit_dir)
        commit_duplicates = duplicate_keys(commit_dir)
    print(
        f"\ncrash story: clean crawl {reference_pages} pages, killed after {pages_before_kill}, "
        f"resumed crawl {rerun_pages} pages, {len(final.payloads)} observations at the end; "
        f"killed after {len(committed_before_kill.payloads)} commits in the second directory"
    )
    return CrashStory(
        reference=reference,
        reference_pages=reference_pages,
        after_kill=after_kill,
        pages_before_kill=pages_before_kill,
        killed_run=killed_run,
        final=final,
        rerun=rerun,
        rerun_status=rerun_status,
        rerun_pages=rerun_pages,
        duplicates=duplicates,
        next_crawl=next_crawl,
        next_run=next_run,
        committed_before_kill=committed_before_kill,
        after_commit_kill=after_commit_kill,
        commit_duplicates=commit_duplicates,
    )


def test_the_kill_landed_mid_crawl(story):
    assert 0 < story.pages_before_kill < story.reference_pages


def test_no_observation_committed_before_the_kill_is_lost(story):
    assert set(story.after_kill.payloads) >= set(story.reference.payloads)
    assert set(story.final.payloads) >= set(story.after_kill.payloads)


def test_the_rerun_adds_no_duplicate_observation(story):
    assert story.duplicates == []


def test_the_resumed_crawl_finishes(story):
    assert story.rerun_status == "finished"


def test_the_resumed_crawl_does_not_start_over(story):
    # What the killed crawl read is reused, not fetched again.
    assert story.rerun_pages < story.reference_pages


def test_the_resumed_crawl_observes_every_site_again(story):
    # The killed run emitted nothing it did not finish, so the resumed crawl must emit everything.
    stale = sorted(
        key
        for key, run in story.final.run_ids.items()
        if run not in (story.killed_run, story.rerun)
    )
    assert stale == []


def test_the_result_after_kill_and_resume_equals_a_clean_crawl(story):
    assert set(story.final.payloads) == set(story.reference.payloads)
    differing = sorted(
        k for k in story.final.payloads if story.final.payloads[k] != story.reference.payloads[k]
    )
    assert differing == []


def test_a_resumable_crawl_after_a_finished_one_crawls_everything_again(story):
    not_seen_again = sorted(
        key for key, run in story.next_crawl.run_ids.items() if run != story.next_run
    )
    assert not_seen_again == []
    assert story.next_crawl.payloads == story.reference.payloads


def test_a_kill_while_committing_landed_between_two_commits(story):
    assert 0 < len(story.committed_before_kill.payloads) < len(story.reference.payloads)


def test_observations_committed_before_the_kill_are_complete_and_kept(story):
    for key, payload in story.committed_before_kill.payloads.items():
        assert payload == story.reference.payloads[key]
        assert key in story.after_commit_kill.payloads


def test_after_a_kill_while_committing_the_rerun_equals_a_clean_crawl(story):
    assert story.commit_duplicates == []
    assert story.after_commit_kill.payloads == story.reference.payloads


def test_canonical_ignores_order_and_time_but_not_content():
    one = {"evidence": [{"quote": "a", "seen_at": "t1"}, {"quote": "b", "seen_at": "t1"}]}
    two = {"evidence": [{"quote": "b", "seen_at": "t2"}, {"quote": "a", "seen_at": "t2"}]}
    three = {"evidence": [{"quote": "a", "seen_at": "t1"}]}
    assert canonical(one) == canonical(two)
    assert canonical(one) != canonical(three)
