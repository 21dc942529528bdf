"""The benchmark's report: ratios against both baselines, the one-line summary and the README table.

Latency ratios are skinmap's p95 ÷ the baseline's (below 1.0 skinmap is faster); build and HTTP
ratios are skinmap's docs/s or requests/s ÷ the baseline's (above 1.0 skinmap is faster).
"""

from __future__ import annotations

import math
import os
import platform
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
TABLE_START = "<!-- bench:start -->"
TABLE_END = "<!-- bench:end -->"
LABELS = ("text", "specialty", "text_geo", "geo", "zero", "misspelled")
BASELINES = ("fts5", "tantivy")
NAN = float("nan")


def _div(a: float | None, b: float | None) -> float:
    if a is None or b is None or not b or (isinstance(b, float) and math.isnan(b)):
        return NAN
    return round(a / b, 2)


def latency_ratio(report: dict, baseline: str, label: str, kind: str = "cold") -> float:
    q = report["query"]
    if baseline not in q:
        return NAN
    return _div(q["whoosh"][kind][label]["p95"], q[baseline][kind][label]["p95"])


def build_ratio(report: dict, baseline: str) -> float:
    b = report["build"]
    if baseline not in b:
        return NAN
    return _div(b["whoosh"]["docs_per_s"], b[baseline]["docs_per_s"])


def http_ratio(report: dict, baseline: str, workers: int = 1) -> float:
    http = report.get("http") or {}
    mine, base = http.get(f"whoosh_w{workers}"), http.get(f"{baseline}_w{workers}")
    if not mine or not base:
        return NAN
    return _div(mine["req_per_s"], base["req_per_s"])


def ratios(report: dict) -> dict[str, float]:
    out = {
        "text_geo_p95_vs_fts5": latency_ratio(report, "fts5", "text_geo"),
        "text_p95_vs_fts5": latency_ratio(report, "fts5", "text"),
        "text_warm_p95_vs_fts5": latency_ratio(report, "fts5", "text", "warm"),
        "http_vs_fts5": http_ratio(report, "fts5"),
        "text_geo_p95_vs_tantivy": latency_ratio(report, "tantivy", "text_geo"),
        "text_p95_vs_tantivy": latency_ratio(report, "tantivy", "text"),
        "place_p95_vs_tantivy": latency_ratio(report, "tantivy", "geo"),
        "specialty_p95_vs_tantivy": latency_ratio(report, "tantivy", "specialty"),
        "zero_p95_vs_fts5": latency_ratio(report, "fts5", "zero"),
        "build_vs_fts5": build_ratio(report, "fts5"),
        "build_vs_tantivy": build_ratio(report, "tantivy"),
        "http_vs_tantivy": http_ratio(report, "tantivy"),
    }
    return out


def _num(value) -> str:
    return (
        "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value}"
    )


def bench_line(report: dict) -> str:
    """The last line of `make bench-quick`: today's keys first, then the tantivy/target ones."""
    r = ratios(report)
    http = report.get("http") or {}
    mine = http.get("whoosh_w1", {})
    build = report["build"]["whoosh"]
    keys = (
        "text_geo_p95_vs_fts5",
        "text_p95_vs_fts5",
        "http_vs_fts5",
    )
    parts = [f"bench: n={report['n']}"]
    parts += [f"{key}={r[key]:.2f}" for key in keys]
    parts.append(f"build_docs_per_s={build['docs_per_s']}")
    parts.append(f"rss_mb={_num(mine.get('rss_mb_per_worker'))}")
    parts += [
        f"{key}={r[key]:.2f}"
        for key in (
            "text_geo_p95_vs_tantivy",
            "text_p95_vs_tantivy",
            "place_p95_vs_tantivy",
            "specialty_p95_vs_tantivy",
            "zero_p95_vs_fts5",
            "build_vs_fts5",
            "build_vs_tantivy",
            "http_vs_tantivy",
        )
    ]
    parts.append(f"build_peak_rss_mb={build['peak_rss_mb']}")
    parts.append(f"http_p99_ms={_num(mine.get('p99'))}")
    return " ".join(parts)


def _cell(r: float) -> str:
    return "" if math.isnan(r) else f"{r:.2f}"


def markdown_table(reports: list[dict]) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores "
        f"(shared with other work while it ran), Python {platform.python_version()}; "
        "reproduce with `make bench`.",
        "",
        "| n | measure | SQLite FTS5 + R-tree | tantivy | skinmap Whoosh | vs FTS5 | vs tantivy |",
        "|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        lines += _rows(report)
    return "\n".join(lines)


def _rows(report: dict) -> list[str]:
    n = f"{report['n']:,}"
    b = report["build"]
    t = b.get("tantivy", {})
    lines = [
        f"| {n} | build docs/s | {b['fts5']['docs_per_s']:,} | {t.get('docs_per_s', 0):,} | "
        f"{b['whoosh']['docs_per_s']:,} | {_cell(build_ratio(report, 'fts5'))} | "
        f"{_cell(build_ratio(report, 'tantivy'))} |",
        f"| {n} | build peak RSS MB / size MB | {b['fts5']['peak_rss_mb']} / {b['fts5']['size_mb']} | "
        f"{t.get('peak_rss_mb')} / {t.get('size_mb')} | "
        f"{b['whoosh']['peak_rss_mb']} / {b['whoosh']['size_mb']} | | |",
    ]
    q = report["query"]
    for kind in ("cold", "warm"):
        for label in LABELS:
            cells = []
            for engine in ("fts5", "tantivy", "whoosh"):
                s = q.get(engine, {}).get(kind, {}).get(label)
                cells.append(f"{s['p50']}/{s['p95']}/{s['p99']}" if s else "")
            lines.append(
                f"| {n} | {label} {kind} p50/p95/p99 ms | {' | '.join(cells)} | "
                f"{_cell(latency_ratio(report, 'fts5', label, kind))} | "
                f"{_cell(latency_ratio(report, 'tantivy', label, kind))} |"
            )
    http = report.get("http") or {}
    for key in sorted(k for k in http if k.startswith("whoosh")):
        workers = int(key.split("_w")[1])
        cells = []
        for engine in ("fts5", "tantivy", "whoosh"):
            v = http.get(f"{engine}_w{workers}")
            cells.append(f"{v['req_per_s']}, {v['p99']}, {v['rss_mb_per_worker']}" if v else "")
        lines.append(
            f"| {n} | HTTP w{workers} req/s, p99 ms, RSS MB/worker | {' | '.join(cells)} | "
            f"{_cell(http_ratio(report, 'fts5', workers))} | "
            f"{_cell(http_ratio(report, 'tantivy', workers))} |"
        )
    return lines


def write_readme(table: str) -> None:
    text = README.read_text()
    if TABLE_START not in text:
        raise SystemExit(f"README.md has no {TABLE_START} … {TABLE_END} block to rewrite")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    README.write_text(f"{head}{TABLE_START}\n{table}\n{TABLE_END}{tail}")
