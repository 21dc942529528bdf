"""Build one engine's index in a fresh process, so its peak memory is its own.

`python -m benchmarks.build_one --engine whoosh|fts5|tantivy --n N --data-dir DIR` prints one JSON line:
{"engine", "n", "seconds", "docs_per_s", "size_mb", "peak_rss_mb"}.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from benchmarks import fts5_baseline, tantivy_baseline
from benchmarks.synth import listings
from index import build


def dir_size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=("whoosh", "fts5", "tantivy"), required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    # generating the synthetic listings is not part of the build rate
    docs = list(listings(args.n))
    started = time.perf_counter()
    if args.engine == "whoosh":
        generation = "gen-1"
        path = build.index_dir(args.data_dir) / generation
        build.write_generation(path, docs)
        (path / build.READY_FILE).write_text("benchmark\n")
        build.write_current(args.data_dir, generation)
    elif args.engine == "tantivy":
        path = args.data_dir / "tantivy"
        tantivy_baseline.build(path, docs)
    else:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        path = args.data_dir / "baseline.sqlite3"
        fts5_baseline.build(path, docs)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "engine": args.engine,
                "n": args.n,
                "seconds": round(seconds, 3),
                "docs_per_s": round(args.n / seconds),
                "size_mb": round(dir_size_mb(path), 1),
                # ru_maxrss is in KiB on Linux; a build's forked segment writers count too (the
                # largest child's peak, added: an upper bound of what the build held at once)
                "peak_rss_mb": round(
                    (
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                    )
                    / 1024
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
