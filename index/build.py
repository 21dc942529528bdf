"""Build a fresh Whoosh generation from the store, verify it, and swap CURRENT atomically.

A build never touches the live generation: it writes `index/gen-<n>/` beside it, checks it, and only
then replaces `index/CURRENT` (temp file + fsync + os.replace). A crash at any point leaves the old
generation serving. One build at a time (fcntl lock on `index/build.lock`); a second one fails fast.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.query import Every, Term

from index.query import lay_terms
from index.records import Listing
from index.resolve import (
    constraints_from_overrides,
    materialise,
    resolve,
    site_root,
)
from index.schema import SkinmapSchema, document_for
from index.store import Override, Store

log = logging.getLogger(__name__)

LISTINGS_FILE = "listings.jsonl"  # one Listing JSON per line, in Whoosh docnum order
READY_FILE = "READY"  # written last into a generation that passed verification
KEEP_PREVIOUS = 2  # generations kept besides the live one, for rollback
WRITER_LIMIT_MB = 128
_GEN_RE = re.compile(r"^gen-(\d+)$")


class BuildError(RuntimeError):
    """A build could not complete; the live generation is untouched."""


class BuildInProgress(BuildError):
    """Another build holds the build lock."""


class VerificationFailed(BuildError):
    """The new generation did not pass its checks, so it was not made live."""


@dataclass
class BuildReport:
    generation: str
    listings: int
    clusters: int
    observations: int
    hidden: int
    seconds: float
    path: Path


def index_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "index"


def generations(data_dir: Path) -> list[str]:
    """Complete (verified) generation names, oldest first."""
    root = index_dir(data_dir)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _GEN_RE.match(child.name)
        if match and (child / READY_FILE).exists():
            found.append((int(match.group(1)), child.name))
    return [name for _, name in sorted(found)]


def current_generation(data_dir: Path) -> str | None:
    path = index_dir(data_dir) / "CURRENT"
    try:
        name = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


@contextmanager
def build_lock(data_dir: Path) -> Iterator[None]:
    root = index_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "build.lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildInProgress(
                f"another index build is running (lock {root / 'build.lock'} is held); "
                "wait for it to finish and try again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_current(data_dir: Path, generation: str) -> None:
    root = index_dir(data_dir)
    temp = root / f"CURRENT.tmp-{os.getpid()}"
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(generation + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, root / "CURRENT")
    _fsync_dir(root)


def _next_generation(data_dir: Path) -> str:
    numbers = [0]
    for child in index_dir(data_dir).iterdir():
        match = _GEN_RE.match(child.name)
        if match:
            numbers.append(int(match.group(1)))
    return f"gen-{max(numbers) + 1}"


def compute_listings(store: Store, now: datetime | None = None) -> tuple[list[Listing], dict]:
    """Resolve and materialise every person in the store; records the clusters in the store."""
    now = now or datetime.now(UTC)
    stored = store.observations()
    practitioners = [s for s in stored if s.observation.kind == "practitioner"]
    practices_by_site: dict[str, list] = defaultdict(list)
    for s in stored:
        if s.observation.kind == "practice":
            root = site_root(s.observation.payload.get("website") or s.observation.url)
            if root:
                practices_by_site[root].append(s)
    overrides = store.overrides_for(None)
    clusters = resolve(
        [(s.id, s.observation) for s in practitioners], constraints_from_overrides(overrides)
    )
    by_id = {s.id: s for s in practitioners}
    previous_links = store.practitioner_links()
    cluster_ids = {c.id for c in clusters}
    overrides_by_pid: dict[str, list[Override]] = defaultdict(list)
    for override in overrides:
        overrides_by_pid[override.practitioner_id].append(override)

    listings: list[Listing] = []
    moves: dict[int, str] = {}
    hidden = 0
    for cluster in clusters:
        members = [by_id[obs_id] for obs_id in cluster.observation_ids]
        # Overrides follow the people: when a cluster id disappeared (e.g. a person without an NPI
        # gained one), its overrides move to the cluster that now holds its observations.
        ids = {cluster.id} | {
            previous_links[obs_id]
            for obs_id in cluster.observation_ids
            if obs_id in previous_links and previous_links[obs_id] not in cluster_ids
        }
        cluster_overrides = [o for pid in sorted(ids) for o in overrides_by_pid.get(pid, [])]
        for override in cluster_overrides:
            if override.practitioner_id != cluster.id:
                moves[override.id] = cluster.id
        sites = {site_root(m.observation.payload.get("website")) for m in members} - {None}
        practices = [p for site in sorted(sites) for p in practices_by_site.get(site, [])]
        listing = materialise(cluster, members, cluster_overrides, now, practices)
        if listing is None:
            continue
        if listing.hidden:
            hidden += 1
            continue
        listings.append(listing)
    # Re-key moved overrides before replacing the links, or they would be lost once the old id leaves the link table.
    store.reassign_overrides(moves)
    store.replace_clusters(
        [
            (c.id, c.anchor, [(link.observation_id, link.reason, link.score) for link in c.links])
            for c in clusters
        ]
    )
    listings.sort(key=lambda listing: listing.id)
    return listings, {
        "clusters": len(clusters),
        "observations": len(stored),
        "hidden": hidden,
    }


def write_generation(path: Path, listings: list[Listing]) -> None:
    path.mkdir(parents=True)
    storage = FileStorage(str(path), supports_mmap=False)
    ix = storage.create_index(SkinmapSchema())
    phrases = list(lay_terms())
    writer = ix.writer(procs=1, limitmb=WRITER_LIMIT_MB)
    try:
        with open(path / LISTINGS_FILE, "w", encoding="utf-8") as handle:
            for listing in listings:
                writer.add_document(**document_for(listing, phrases))
                handle.write(listing.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    ix.close()


def verify_generation(path: Path, listings: list[Listing]) -> None:
    """Doc count matches, docnum order matches the listings file, and a probe query finds a listing."""
    storage = FileStorage(str(path), supports_mmap=False)
    ix = storage.open_index()
    try:
        with ix.searcher() as searcher:
            if searcher.doc_count() != len(listings):
                raise VerificationFailed(
                    f"{path.name}: index holds {searcher.doc_count()} documents, expected {len(listings)}"
                )
            if not listings:
                return
            if len(list(Every().docs(searcher))) != len(listings):
                raise VerificationFailed(f"{path.name}: match-all query disagrees with doc count")
            probe = listings[len(listings) // 2]
            found = list(Term("id", probe.id).docs(searcher))
            if len(found) != 1 or searcher.stored_fields(found[0]).get("id") != probe.id:
                raise VerificationFailed(f"{path.name}: probe query for {probe.id} failed")
    finally:
        ix.close()
    lines = (path / LISTINGS_FILE).read_text(encoding="utf-8").count("\n")
    if lines != len(listings):
        raise VerificationFailed(f"{path.name}: {LISTINGS_FILE} has {lines} lines")


def _prune(data_dir: Path, live: str) -> None:
    """Keep the live generation and the KEEP_PREVIOUS newest others; drop the rest, including
    half-written directories left by a crashed build (we hold the lock, so none is in progress)."""
    others = [g for g in generations(data_dir) if g != live]
    keep = {live, *others[-KEEP_PREVIOUS:]}
    for child in index_dir(data_dir).iterdir():
        if _GEN_RE.match(child.name) and child.is_dir() and child.name not in keep:
            shutil.rmtree(child)


def rebuild(
    data_dir: Path,
    now: datetime | None = None,
    verify: Callable[[Path, list[Listing]], None] = verify_generation,
) -> BuildReport:
    """`skinmap index`: resolve -> materialise -> new generation -> verify -> swap CURRENT -> prune."""
    data_dir = Path(data_dir)
    started = time.perf_counter()
    with build_lock(data_dir):
        store = Store(data_dir / "store.sqlite3")
        try:
            listings, counts = compute_listings(store, now)
        finally:
            store.close()
        generation = _next_generation(data_dir)
        path = index_dir(data_dir) / generation
        try:
            write_generation(path, listings)
            verify(path, listings)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        (path / READY_FILE).write_text(datetime.now(UTC).isoformat() + "\n", encoding="utf-8")
        _fsync_dir(path)
        write_current(data_dir, generation)
        _prune(data_dir, generation)
    report = BuildReport(
        generation=generation,
        listings=len(listings),
        clusters=counts["clusters"],
        observations=counts["observations"],
        hidden=counts["hidden"],
        seconds=round(time.perf_counter() - started, 3),
        path=path,
    )
    log.info("built %s: %d listings in %.2fs", generation, len(listings), report.seconds)
    return report


def rollback(data_dir: Path) -> str:
    """Make the newest complete generation older than the live one live again; returns its name."""
    data_dir = Path(data_dir)
    with build_lock(data_dir):
        complete = generations(data_dir)
        live = current_generation(data_dir)
        older = [g for g in complete if live is None or _number(g) < _number(live)]
        if not older:
            raise BuildError("no earlier index generation to roll back to")
        write_current(data_dir, older[-1])
        return older[-1]


def _number(generation: str) -> int:
    match = _GEN_RE.match(generation)
    return int(match.group(1)) if match else -1
