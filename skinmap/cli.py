"""The `skinmap` command: crawl, index, serve and demo (`skinmap --help` is the reference)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from skinmap import settings
from skinmap.admin_cli import add_admin_parser, cmd_admin
from skinmap.cli_args import (
    Parser,
    PortInUse,
    check_port_free,
    parse,
    port_number,
    run_quiet_step,
    state_code,
    tag_subcommands,
)
from skinmap.distributed_cli import (
    add_crawl_control_parsers,
    add_ingest_parser,
    cmd_control,
    cmd_distributed_status,
    cmd_ingest,
)
from skinmap.export.command import add_export_parser, cmd_export
from skinmap.replica import add_replica_parsers, cmd_follow, cmd_publish

log = logging.getLogger("skinmap")

DEMO_STATES = ("TX", "CO", "GA")


class CommandError(Exception):
    """A failure the user can fix; the message says what happened and what to do."""


def _parse_scrapy_settings(pairs: Sequence[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"-s expects NAME=VALUE (as `scrapy crawl -s`), got {pair!r}")
        overrides[name.strip()] = value
    return overrides


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="skinmap",
        description="An open, evidence-backed directory of US practitioners who offer microneedling.",
        epilog="Every setting can also come from the environment; see the README's settings table.",
    )
    parser.add_argument(
        "--data-dir",
        help="directory for all state (store, index, crawl logs); default $SKINMAP_DATA_DIR "
        "or ./var/data",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    crawl = commands.add_parser("crawl", help="run a crawl of one source, or show crawl runs")
    sources = crawl.add_subparsers(dest="source", required=True, metavar="SOURCE")

    def add_common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "-s",
            dest="scrapy_settings",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="pass a Scrapy setting through, as `scrapy crawl -s` does (repeatable)",
        )
        sub.add_argument(
            "--resume",
            action="store_true",
            help="keep the crawl's state in a job directory so an interrupted crawl continues",
        )
        sub.add_argument(
            "--redis",
            metavar="URL",
            help="share the crawl with other processes through Redis (redis://host:port/db)",
        )

    practices = sources.add_parser("practices", help="crawl practice websites (same site only)")
    practices.add_argument(
        "--start-url",
        action="append",
        default=[],
        dest="start_urls",
        metavar="URL",
        help="a practice website to crawl (repeatable)",
    )
    practices.add_argument("--seeds", metavar="FILE", help="file with one start URL per line")
    add_common(practices)

    nppes = sources.add_parser("nppes", help="query an NPI Registry API v2.1 endpoint")
    nppes.add_argument(
        "--api-url",
        default="https://npiregistry.cms.hhs.gov/api/",
        help="NPI Registry API endpoint (default: the public one)",
    )
    nppes.add_argument(
        "--state",
        action="append",
        required=True,
        dest="states",
        metavar="STATE",
        default=None,
        help="a state to query, as a code or a name: TX, Texas, 'New York' (repeatable)",
    )
    add_common(nppes)

    cms = sources.add_parser("cms", help="stream the CMS Doctors and Clinicians national file")
    cms.add_argument(
        "--source",
        required=True,
        metavar="PATH_OR_URL",
        help="the national file (CSV) as a local path or an http(s) URL",
    )
    add_common(cms)

    directory = sources.add_parser(
        "directory",
        help="read a listing site described by a config file; its practice websites become seeds",
    )
    directory.add_argument(
        "--config",
        required=True,
        metavar="FILE",
        help="directory config (JSON, or .toml); see docs/directory-config.md",
    )
    add_common(directory)

    add_crawl_control_parsers(sources)

    index = commands.add_parser(
        "index", help="resolve entities and build a new Whoosh index generation"
    )
    index.add_argument(
        "--rollback", action="store_true", help="switch back to the previous index generation"
    )

    serve = commands.add_parser("serve", help="serve the search site and API with uvicorn")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=port_number, default=None, help="port, 1-65535 (default 8000)"
    )
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")

    demo = commands.add_parser(
        "demo", help="start the bundled demo web, crawl it, index it and serve the site"
    )
    demo.add_argument(
        "--no-serve", action="store_true", help="build the demo data into the data dir and exit"
    )
    demo.add_argument(
        "--port",
        type=port_number,
        default=None,
        help="port for the site, 1-65535 (default 8000; `make demo PORT=8001`)",
    )
    add_ingest_parser(commands)
    add_replica_parsers(commands)
    add_export_parser(commands)
    add_admin_parser(commands)
    tag_subcommands(parser)
    return parser


def _skinmap_argv(data_dir: Path) -> list[str]:
    """How to call this same CLI in a child process (crawls need a fresh Twisted reactor)."""
    return [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir)]


def cmd_crawl(args: argparse.Namespace, data_dir: Path) -> int:
    if args.source == "status":
        return cmd_distributed_status(args) if args.redis else cmd_crawl_status(data_dir)
    if args.source in ("pause", "resume", "cancel"):
        return cmd_control(args, data_dir)
    overrides = _parse_scrapy_settings(args.scrapy_settings)
    if args.source == "practices":
        if not args.start_urls and not args.seeds:
            raise CommandError("give at least one --start-url URL or a --seeds FILE")
        if args.seeds and not Path(args.seeds).is_file():
            raise CommandError(f"seeds file {args.seeds} does not exist")
        spider_args = {"start_urls": args.start_urls, "seeds": args.seeds}
        name = "practices"
    elif args.source == "nppes":
        codes = [state_code(state) for state in args.states]
        bad = [state for state, code in zip(args.states, codes, strict=True) if code is None]
        if bad:
            raise CommandError(
                f"--state takes US state codes or names (TX or Texas), got {', '.join(bad)}"
            )
        states = list(dict.fromkeys(code for code in codes if code))
        spider_args = {"api_url": args.api_url, "states": states}
        name = "nppes"
    elif args.source == "directory":
        from crawler.directories.config import DirectoryConfigError, load_config

        if not Path(args.config).is_file():
            raise CommandError(f"config file {args.config} does not exist")
        try:
            load_config(args.config)  # fail before a crawl run is recorded
        except DirectoryConfigError as error:
            raise CommandError(str(error)) from None
        spider_args = {"config": str(Path(args.config).resolve())}
        name = "directory"
    else:
        source = args.source.strip()
        if not source.lower().startswith(("http://", "https://")) and not Path(source).is_file():
            raise CommandError(f"--source {source} is not a file (nor an http(s) URL)")
        spider_args = {"source": args.source}
        name = "cms"
    from crawler.run import run_spider

    run_id = run_spider(
        name, data_dir, spider_args, overrides, resume=args.resume, redis_url=args.redis
    )
    run = _crawl_run(data_dir, run_id)
    log_path = data_dir / "crawls" / f"{run_id}.log"
    if run is None or run.status != "finished":
        status = run.status if run else "missing"
        first_error = (run.errors or ["no error recorded"])[0] if run else "run not recorded"
        raise CommandError(
            f"crawl run {run_id} ended {status}: {first_error}\n"
            f"  the log is {log_path}; what was stored before the failure is kept, and "
            f"rerunning the same command (with --resume, if used) continues"
        )
    stats = run.stats or {}
    where = "handed to Redis for `skinmap ingest`" if args.redis else "stored"
    print(
        f"crawl run {run_id} finished: {stats.get('item_scraped_count', 0)} items {where}, "
        f"{stats.get('item_dropped_count', 0)} rejected; see `skinmap crawl status`"
    )
    if name == "directory":
        from crawler.directories.config import load_config, seeds_path

        seeds = seeds_path(data_dir, load_config(args.config).name)
        print(
            f"{stats.get('directory/websites', 0)} practice websites in {seeds}; crawl them with "
            f"`skinmap crawl practices --seeds {seeds}`"
        )
    return 0


def _crawl_run(data_dir: Path, run_id: int):
    from index.store import Store

    store = Store(data_dir / "store.sqlite3")
    try:
        return next((run for run in store.runs() if run.id == run_id), None)
    finally:
        store.close()


def cmd_crawl_status(data_dir: Path) -> int:
    from index.store import Store

    store = Store(data_dir / "store.sqlite3")
    try:
        runs = store.runs()
    finally:
        store.close()
    if not runs:
        print("no crawl runs yet")
        return 0
    for run in runs:
        stats = run.stats or {}
        print(
            f"run {run.id:>4}  {run.source:<14} {run.status:<11} "
            f"started {run.started_at}  finished {run.finished_at or '-'}  "
            f"items {stats.get('item_scraped_count', 0)}  "
            f"rejected {stats.get('item_dropped_count', 0)}  "
            f"unchanged pages {stats.get('skinmap/unchanged_pages', 0)}  errors {len(run.errors or [])}"
        )
        for error in (run.errors or [])[:5]:
            print(f"      error: {error}")
    return 0


def cmd_index(args: argparse.Namespace, data_dir: Path) -> int:
    from index import build

    if args.rollback:
        generation = build.rollback(data_dir)
        print(f"rolled back: now serving {generation}")
        return 0
    report = build.rebuild(data_dir)
    print(
        f"built {report.generation}: {report.listings} public listings from "
        f"{report.observations} observations ({report.clusters} people, {report.hidden} hidden) "
        f"in {report.seconds:.1f} s; it is now live"
    )
    return 0


def cmd_serve(args: argparse.Namespace, data_dir: Path) -> int:
    import uvicorn

    host = args.host or settings.get("SKINMAP_HOST") or "127.0.0.1"
    port = args.port or _setting_port()
    _ensure_port_free(host, port, "choose another with `skinmap serve --port 8001`")
    os.environ["SKINMAP_DATA_DIR"] = str(data_dir)
    print(f"serving skinmap at http://{host}:{port}/  (Ctrl-C stops)", flush=True)
    uvicorn.run(
        "search_web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level="info",
    )
    return 0


def _setting_port() -> int:
    value = settings.get("SKINMAP_PORT") or "8000"
    try:
        return port_number(value)
    except argparse.ArgumentTypeError as error:
        raise CommandError(f"SKINMAP_PORT {error}") from None


def _ensure_port_free(host: str, port: int, how_to_change: str) -> None:
    try:
        check_port_free(host, port, how_to_change)
    except PortInUse as error:
        raise CommandError(str(error)) from None


def _run_step(argv: list[str], what: str, log_path: Path) -> float:
    try:
        return run_quiet_step(argv, what, log_path)
    except RuntimeError as error:
        raise CommandError(str(error)) from None


def _crawl_step(argv: list[str], what: str, data_dir: Path, log_name: str) -> None:
    """A demo crawl: Scrapy's log goes to a file; the terminal gets pages, items and errors."""
    seconds = _run_step(argv, what, data_dir / "crawls" / log_name)
    runs = _latest_runs(data_dir, 1)
    stats = (runs[0].stats or {}) if runs else {}
    errors = len(runs[0].errors or []) if runs else 0
    print(
        f"   done in {seconds:.1f} s: {stats.get('response_received_count', 0)} pages, "
        f"{stats.get('item_scraped_count', 0)} items stored, "
        f"{stats.get('item_dropped_count', 0)} rejected, {errors} errors"
        + (f" (Scrapy log: {data_dir / 'crawls' / f'{runs[0].id}.log'})" if runs else ""),
        flush=True,
    )


def _latest_runs(data_dir: Path, count: int) -> list:
    from index.store import Store

    store = Store(data_dir / "store.sqlite3")
    try:
        return sorted(store.runs(), key=lambda run: run.id, reverse=True)[:count]
    finally:
        store.close()


def cmd_demo(args: argparse.Namespace, data_dir: Path) -> int:
    from skinmap.demoweb import start_demo_web

    port = args.port or _setting_port()
    if not args.no_serve:
        # Checked before the crawl, so a taken port costs a second, not a whole demo build.
        _ensure_port_free(
            "127.0.0.1", port, "pick another: `make demo PORT=8001` (or `skinmap demo --port 8001`)"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    web = start_demo_web()
    try:
        print(
            f"demo web: {len(web.sites)} practice sites and an NPI API on 127.0.0.0/8", flush=True
        )
        base = _skinmap_argv(data_dir)
        # Loopback sites answer instantly; a short delay keeps the crawl polite but quick.
        quick = ["-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=False"]
        nppes = base + ["crawl", "nppes", "--api-url", web.npi_api_url]
        for state in DEMO_STATES:
            nppes += ["--state", state]
        crawl_started = time.monotonic()
        _crawl_step(nppes + quick, "NPPES crawl of the demo NPI API", data_dir, "demo-nppes.out")
        practices = base + ["crawl", "practices"]
        for site in web.sites:
            practices += ["--start-url", site.url]
        _crawl_step(
            practices + quick,
            f"practice-site crawl of {len(web.sites)} demo sites",
            data_dir,
            "demo-practices.out",
        )
        print(f"   demo crawl time {time.monotonic() - crawl_started:.1f} s", flush=True)
        seconds = _run_step(base + ["index"], "index build", data_dir / "crawls" / "demo-index.out")
        print(f"   done in {seconds:.1f} s", flush=True)
        if args.no_serve:
            print(f"demo data built in {data_dir}")
            return 0
        print(
            "admin: the demo has no accounts; make one with "
            f"`skinmap --data-dir {data_dir} admin create-user you --role admin` "
            f"(it asks for a password), then open http://127.0.0.1:{port}/admin/",
            flush=True,
        )
        serve = subprocess.Popen(base + ["serve", "--port", str(port)])
        try:
            return serve.wait()
        except KeyboardInterrupt:
            serve.send_signal(signal.SIGINT)
            serve.wait(timeout=10)
            return 0
    finally:
        web.close()


COMMANDS = {
    "crawl": cmd_crawl,
    "index": cmd_index,
    "serve": cmd_serve,
    "demo": cmd_demo,
    "ingest": cmd_ingest,
    "publish": cmd_publish,
    "follow": cmd_follow,
    "export": cmd_export,
    "admin": cmd_admin,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse(parser, argv)
    if args.command != "crawl" or args.source in ("status", "pause", "resume", "cancel"):
        # Scrapy installs its own log handler for crawls; a second one would print every line twice.
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    data_dir = settings.data_dir(args.data_dir)
    try:
        return COMMANDS[args.command](args, data_dir)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except CommandError as error:
        print(f"skinmap: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # translated once, here, at the edge
        known = _known_error_message(error)
        if known is None:
            raise
        print(f"skinmap: error: {known}", file=sys.stderr)
        return 2


# Exceptions raised deep inside that carry a message a user can act on: (module, class name).
USER_ERRORS = (
    ("index.build", "BuildInProgress"),
    ("index.build", "BuildError"),
    ("index.settings", "BadSetting"),
    ("crawler.distributed", "RedisUnavailable"),
    ("crawler.distributed", "DistributedNotSupported"),
    ("crawler.distributed", "BadDistributedSetting"),
    ("crawler.ingest", "IngestStopped"),
    ("skinmap.replica", "ReplicaError"),
    ("crawler.directories.config", "DirectoryConfigError"),
)


def _known_error_message(error: Exception) -> str | None:
    """User-fixable errors raised inside the packages carry their own message."""
    import importlib

    for module_name, class_name in USER_ERRORS:
        module = sys.modules.get(module_name)
        if module is None:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
        error_class = getattr(module, class_name, None)
        if error_class is not None and isinstance(error, error_class):
            return str(error)
    return None


if __name__ == "__main__":
    sys.exit(main())
