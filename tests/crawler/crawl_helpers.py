"""Run a real crawl in a child process (Twisted's reactor cannot restart) and read what it stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUICK = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "RETRY_TIMES": "0"}


def run_crawl(
    name: str, data_dir: Path, spider_args: dict, overrides: dict | None = None
) -> tuple[int, str]:
    """Run crawler.run.run_spider in a subprocess; returns (exit code, stderr)."""
    settings = {**QUICK, "SKINMAP_ITEMS_JSONL": str(data_dir / "items.jsonl"), **(overrides or {})}
    code = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from crawler.run import run_spider\n"
        "args = json.loads(sys.argv[1])\n"
        "print(run_spider(args['name'], Path(args['data_dir']), args['spider_args'], args['settings']))\n"
    )
    payload = json.dumps(
        {"name": name, "data_dir": str(data_dir), "spider_args": spider_args, "settings": settings}
    )
    done = subprocess.run(
        [sys.executable, "-c", code, payload],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stderr


def stored_observations(data_dir: Path) -> list:
    from index.store import Store

    store = Store(data_dir / "store.sqlite3")
    try:
        return [s.observation for s in store.observations()]
    finally:
        store.close()


def crawl_runs(data_dir: Path) -> list:
    from index.store import Store

    store = Store(data_dir / "store.sqlite3")
    try:
        return store.runs()
    finally:
        store.close()


def json_lines(data_dir: Path) -> list[dict]:
    path = data_dir / "items.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
