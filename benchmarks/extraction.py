"""Extraction speed: the practice spider's pure page reader alone, in pages per second.

`python -m benchmarks.extraction` reads every fixed fixture page of the project (the labelled
pages, the crawler fixtures and the demo web: no generalisation batch, so the page set stays the
same from one version of the extractor to the next), each through
`crawler.spiders.practice_site.read_page_facts` (people, structured data, contacts, evidence and
links of one page), `--rounds` times, and prints the best round's pages/s. No network, no Scrapy.

Last line: `extract_bench: pages=… kib=… pages_per_s=… kib_per_s=…`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE_DIRS = (
    "tests/crawler/labelled/pages",
    "tests/crawler/fixtures",
    "data/demo_web/sites",
)
SEEN_AT = "2026-11-25T15:00:00Z"


def fixed_pages() -> list[tuple[str, str]]:
    """(url, html) of every fixed fixture page, in a stable order."""
    pages = []
    for folder in PAGE_DIRS:
        for path in sorted((REPO / folder).rglob("*.htm*")):
            html = path.read_bytes().decode("utf-8", errors="replace")
            pages.append((f"http://bench.test/{path.relative_to(REPO / folder)}", html))
    return pages


def measure(rounds: int = 5) -> dict[str, float]:
    from crawler.spiders.practice_site import read_page_facts

    pages = fixed_pages()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for url, html in pages:
            read_page_facts(html, url, "http://bench.test/", SEEN_AT)
        best = min(best, time.perf_counter() - start)
    kib = sum(len(html.encode("utf-8")) for _url, html in pages) / 1024
    return {
        "pages": len(pages),
        "kib": round(kib),
        "pages_per_s": round(len(pages) / best, 1),
        "kib_per_s": round(kib / best, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the best is kept")
    args = parser.parse_args(argv)
    result = measure(args.rounds)
    print("extract_bench: " + " ".join(f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
