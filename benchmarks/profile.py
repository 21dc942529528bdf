"""Where the time goes: cProfile of one query class (cold, as the benchmark runs it) or of a build.

`python -m benchmarks.profile --n 100000 --label text` builds a generation of n synthetic listings
in a temporary directory, then profiles every query of that label from QUERY_MIX on fresh search
services (cold: nothing cached), and prints the functions that took the most time.
`--label build` profiles `index.build.write_generation` in one process instead (forked segment
writers would hide their work from the profile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
from pathlib import Path

from benchmarks.run import _request_for
from benchmarks.synth import QUERY_MIX, listings
from index import build
from index.search import SearchRequest, SearchService

LABELS = sorted({query[0] for query in QUERY_MIX})


def profile_build(n: int, data_dir: Path) -> pstats.Stats:
    docs = list(listings(n))
    profiler = cProfile.Profile()
    procs = build.BUILD_PROCS
    build.BUILD_PROCS = 1
    try:
        profiler.enable()
        build.write_generation(build.index_dir(data_dir) / "gen-1", docs)
        profiler.disable()
    finally:
        build.BUILD_PROCS = procs
    return pstats.Stats(profiler)


def profile_queries(n: int, data_dir: Path, label: str, rounds: int) -> pstats.Stats:
    path = build.index_dir(data_dir) / "gen-1"
    build.write_generation(path, list(listings(n)))
    (path / build.READY_FILE).write_text("profile\n")
    build.write_current(data_dir, "gen-1")
    profiler = cProfile.Profile()
    for _ in range(rounds):
        service = SearchService(data_dir)
        try:
            for query in QUERY_MIX:
                if query[0] == label:
                    request = SearchRequest(**_request_for(query))
                    profiler.enable()
                    service.search(request)
                    profiler.disable()
        finally:
            service.close()
    return pstats.Stats(profiler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--label", choices=[*LABELS, "build"], required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="skinmap-profile-") as tmp:
        if args.label == "build":
            stats = profile_build(args.n, Path(tmp))
        else:
            stats = profile_queries(args.n, Path(tmp), args.label, args.rounds)
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
