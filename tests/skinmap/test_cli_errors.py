"""A newcomer's mistakes at the `skinmap` command, run as a real process: exit status 2, the
subcommand's usage and one line saying what is wrong, never a traceback, and nothing started."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from skinmap import cli

REPO = Path(__file__).resolve().parents[2]


def skinmap(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "skinmap", "--data-dir", str(tmp_path / "data"), *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def assert_usage_error(done: subprocess.CompletedProcess, prog: str, words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith(f"usage: {prog} "), lines
    assert lines[-1].startswith(f"{prog}: error: ") and words in lines[-1], lines
    assert lines[-1].endswith(f"(see `{prog} --help`)")


def test_an_unknown_flag_prints_the_subcommands_usage(tmp_path):
    done = skinmap(tmp_path, "crawl", "practices", "--bogus")
    assert_usage_error(done, "skinmap crawl practices", "unrecognized arguments: --bogus")


def test_a_missing_required_flag_names_the_subcommand(tmp_path):
    done = skinmap(tmp_path, "crawl", "cms")
    assert_usage_error(done, "skinmap crawl cms", "--source")


def test_a_port_out_of_range_is_a_usage_error(tmp_path):
    done = skinmap(tmp_path, "serve", "--port", "99999")
    assert_usage_error(done, "skinmap serve", "must be a port number 1-65535, got 99999")
    done = skinmap(tmp_path, "demo", "--port", "eighty")
    assert_usage_error(done, "skinmap demo", "must be a port number 1-65535, got 'eighty'")


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("skinmap: error: ")
    return lines[0]


def test_a_missing_cms_source_is_refused_before_a_run_starts(tmp_path):
    done = skinmap(tmp_path, "crawl", "cms", "--source", str(tmp_path / "nonexistent.csv"))
    assert "nonexistent.csv is not a file" in one_line_error(done)
    assert not (tmp_path / "data" / "store.sqlite3").exists()  # no crawl run was recorded


@pytest.fixture
def taken_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_serve_on_a_taken_port_fails_at_once_saying_how_to_pick_another(tmp_path, taken_port):
    done = skinmap(tmp_path, "serve", "--port", str(taken_port))
    line = one_line_error(done)
    assert f"port {taken_port} on 127.0.0.1 is in use" in line and "--port 8001" in line
    assert "serving" not in done.stdout


def test_demo_on_a_taken_port_fails_before_any_crawl(tmp_path, taken_port):
    done = skinmap(tmp_path, "demo", "--port", str(taken_port))
    line = one_line_error(done)
    assert f"port {taken_port} on 127.0.0.1 is in use" in line
    assert "make demo PORT=8001" in line
    assert done.stdout == ""  # no demo web started, nothing crawled
    assert not (tmp_path / "data" / "crawls").exists()


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_flag_and_argument_of_every_subcommand_has_help():
    missing = [
        f"{parser.prog} {action.dest}"
        for parser in _parsers(cli.build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert missing == []


def test_the_makefile_passes_port_to_the_demo():
    makefile = (REPO / "Makefile").read_text()
    assert "PORT   ?= 8000" in makefile and "demo --port $(PORT)" in makefile


@pytest.mark.slow
def test_the_demo_prints_one_line_per_step_and_keeps_scrapys_log_in_files(tmp_path):
    done = skinmap(tmp_path, "demo", "--no-serve")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert "[scrapy" not in done.stdout and "[scrapy" not in done.stderr
    assert len(lines) <= 12, lines
    steps = [line for line in lines if line.startswith("-> ")]
    assert len(steps) == 3  # NPPES crawl, practice-site crawl, index build
    crawled = [line for line in lines if "items stored" in line]
    assert len(crawled) == 2 and all(" pages, " in line and " errors" in line for line in crawled)
    logs = list((tmp_path / "data" / "crawls").glob("[0-9]*.log"))
    assert len(logs) == 2 and all("[scrapy.core.engine] INFO" in log.read_text() for log in logs)


def test_a_crawl_shows_progress_on_the_terminal_and_keeps_scrapys_log_in_its_file(tmp_path):
    from skinmap.demoweb import start_demo_web

    web = start_demo_web(host_prefix="127.0.9.")
    try:
        [site, *_] = web.sites.values() if isinstance(web.sites, dict) else web.sites
        url = str(getattr(site, "url", site))
        done = skinmap(tmp_path, "crawl", "practices", "--start-url", url, "-s", "DOWNLOAD_DELAY=0")
    finally:
        web.close()
    assert done.returncode == 0, done.stderr
    log = tmp_path / "data" / "crawls" / "1.log"
    assert f"Scrapy's log: {log}" in done.stderr
    assert "[scrapy.core.engine] INFO" not in done.stderr  # Scrapy's own lines stay in the file
    assert "[scrapy.core.engine] INFO" in log.read_text(encoding="utf-8")
    assert "crawl run 1 finished" in done.stdout
