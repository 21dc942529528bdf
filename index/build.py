"""Build a fresh Whoosh generation from the store, verify it, and swap CURRENT atomically.

A build never touches the live generation: it writes `index/gen-<n>/` beside it, checks it, and only
then replaces `index/CURRENT` (temp file + fsync + os.replace). A crash at any point leaves the old
generation serving. One build at a time (fcntl lock on `index/build.lock`); a second one fails fast.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.query import Every, Term

from index.columns import (
    COLUMNS_FILE,
    MANIFEST_FILE,
    ColumnsError,
    DocColumns,
    Manifest,
    word_count,
)
from index.patches import Patch, append_patches, utc_now
from index.people import people_as_built, read_people
from index.query import lay_stems, lay_terms
from index.records import Listing
from index.schema import SkinmapSchema, document_for, text_analyzer
from index.segment import write_index
from index.store import Store
from index.suggest import SPELLING_FILE, SpellingVocabulary
from index.termrows import TERM_ROWS_FILE, frequent_terms, read_postings, write_term_rows

log = logging.getLogger(__name__)

LISTINGS_FILE = "listings.jsonl"  # one Listing JSON per line, in Whoosh docnum order
READY_FILE = "READY"  # written last into a generation that passed verification
KEEP_PREVIOUS = 2  # generations kept besides the live one, for rollback
WRITER_LIMIT_MB = 256  # per writer process: at 128 a 100k build spills and merges runs, 2.5x slower
BUILD_PROCS = 2  # the machines have 2 cores
PARALLEL_BUILD_MIN_DOCS = 5_000
# The build process's share of the documents when it writes a segment beside others: it also
# writes listings.jsonl meanwhile, about a third of the work of a segment per listing.
LISTINGS_SHARE = 0.4
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


@dataclass
class Resolution:
    """One build's resolution: the public listings, and the clusters to record once they are live."""

    listings: list[Listing]
    counts: dict
    clusters: list
    moves: dict

    def record(self, store: Store) -> None:
        """Write the clusters (and re-key moved overrides) into the store. Called only after the
        generation built from them is live, so a build killed earlier leaves the store agreeing
        with the generation still serving."""
        # Re-key moved overrides before replacing the links, or they would be lost once the old
        # id leaves the link table.
        store.reassign_overrides(self.moves)
        store.replace_clusters(
            [
                (
                    c.id,
                    c.anchor,
                    [(link.observation_id, link.reason, link.score) for link in c.links],
                )
                for c in self.clusters
            ]
        )


def compute_listings(store: Store, now: datetime | None = None) -> Resolution:
    """Resolve and materialise every person in the store (the store is only read)."""
    found = read_people(store, now or datetime.now(UTC))
    listings: list[Listing] = []
    hidden = 0
    for person in found.people:
        if person.listing is None:
            continue
        if person.listing.hidden:
            hidden += 1
            continue
        listings.append(person.listing)
    listings.sort(key=lambda listing: listing.id)
    counts = {"clusters": len(found.clusters), "observations": found.observations, "hidden": hidden}
    return Resolution(listings=listings, counts=counts, clusters=found.clusters, moves=found.moves)


def refresh_listings(
    data_dir: Path, practitioner_ids: list[str], now: datetime | None = None
) -> int:
    """Publish the current state of these people to the live generation at once, without a build.

    Each id's listing is recomputed from the store (resolution + materialise + its overrides, as a
    build would) and appended to the live generation's `patches.jsonl` (index.patches); a running
    SearchService shows it within its check interval (1 s). A hidden person, or an id that no longer
    names anyone, is taken out of the results. What a patch cannot do until the next full build:
    make a listing findable by new words (the text index is not rewritten), and re-cluster people
    (merges and splits need a rebuild, which should still follow). The store is only read.
    Returns the number of patches written (0 when no generation is live yet).
    """
    data_dir = Path(data_dir)
    wanted = {pid for pid in practitioner_ids if pid}
    if not wanted or current_generation(data_dir) is None:
        return 0
    store = Store(data_dir / "store.sqlite3")
    try:
        people = people_as_built(store, now or datetime.now(UTC), wanted)
        if people is None:  # someone is not in the last build's clusters: resolve everyone
            people = read_people(store, now or datetime.now(UTC), wanted).people
    finally:
        store.close()
    at = utc_now()
    found: dict[str, Listing | None] = {}
    for person in people:
        public = person.listing if person.listing and not person.listing.hidden else None
        found[person.cluster.id] = public
        for old_id in person.ids - {person.cluster.id}:
            found.setdefault(old_id, None)  # the old id's listing now lives under the new one
    for pid in wanted - set(found):
        found[pid] = None
    patches = [
        Patch(listing_id=pid, listing=listing, at=at) for pid, listing in sorted(found.items())
    ]
    # A build may swap CURRENT while we write: then the new generation gets the patches too (its
    # store snapshot may predate the edit; a patch recomputed now is never older than it).
    written: set[str] = set()
    for _ in range(3):
        live = current_generation(data_dir)
        if live is None or live in written:
            break
        path = index_dir(data_dir) / live
        if not path.is_dir():
            break
        append_patches(path, patches)
        written.add(live)
    return len(patches)


def _listing_json(listing: Listing) -> str:
    # Listing.to_json's text without dataclasses.asdict's deep copy (a tenth of a build's time);
    # a Listing holds only JSON values, so vars() serialises the same.
    return json.dumps(vars(listing), sort_keys=True, separators=(",", ":"))


def _build_procs(count: int) -> int:
    # A forked segment writer costs a process start-up; worth it only for big builds.
    return min(BUILD_PROCS, os.cpu_count() or 1) if count >= PARALLEL_BUILD_MIN_DOCS else 1


def write_generation(path: Path, listings: list[Listing]) -> None:
    """Write the Whoosh index, its term rows and "did you mean" vocabulary, then `listings.jsonl`
    and `columns.bin` in Whoosh docnum order."""
    path.mkdir(parents=True)
    # Lay terms count in each offering listing's text length as if they were indexed (index.schema).
    lay_words = word_count(" ".join(lay_terms()))

    def to_document(listing: Listing) -> tuple[dict, tuple[int, int]]:
        document = document_for(listing)
        text_length = word_count(document["text"])
        if listing.offers_microneedling:
            text_length += lay_words
        return document, (word_count(document["name"]), text_length)

    columns = DocColumns()

    def write_listings() -> None:
        # listings.jsonl and the columns but for the lengths, while the other segment is written
        with open(path / LISTINGS_FILE, "wb") as handle:
            for listing in listings:
                line = (_listing_json(listing) + "\n").encode("utf-8")
                handle.write(line)
                columns.append(listing, len(line), 0, 0)
            handle.flush()
            os.fsync(handle.fileno())

    # One pass per segment (index.segment: analysis cached per word, postings written a block at a
    # time), one segment per core, written in parallel; docnums follow the listings' order. This
    # process writes a smaller first run, then the listings file while the others finish.
    lengths: list[tuple[int, int]] = write_index(
        path,
        SkinmapSchema(),
        listings,
        to_document,
        procs=_build_procs(len(listings)),
        limitmb=WRITER_LIMIT_MB,
        while_waiting=write_listings,
        first_share=LISTINGS_SHARE,
    )
    columns.name_len = array("H", [min(65535, name) for name, _ in lengths])
    columns.text_len = array("H", [min(65535, text) for _, text in lengths])
    ix = FileStorage(str(path), supports_mmap=False).open_index()
    order = range(len(listings))  # index.segment.write_index keeps the listings' order
    with ix.reader() as reader:
        offered = bytearray(1 if listings[number].offers_microneedling else 0 for number in order)
        manifest = Manifest(
            lay_terms_implied=True,
            lay_document_frequency={
                stem: sum(offered)
                + sum(1 for d in read_postings(reader, "text", stem)[0] if not offered[d])
                for stem in sorted(lay_stems())
            },
            lay_term_frequency=dict(
                Counter(token.text for token in text_analyzer()(" ".join(lay_terms())))
            ),
        )
        write_term_rows(
            path / TERM_ROWS_FILE,
            reader.doc_count_all(),
            frequent_terms(reader, ("name", "text")),
            lambda fieldname, term: read_postings(reader, fieldname, term),
        )
        # "did you mean" reads this when the generation opens, not on the first misspelling
        SpellingVocabulary.from_reader(reader).write(path / SPELLING_FILE)
    ix.close()
    columns.write(path / COLUMNS_FILE)
    manifest.write(path / MANIFEST_FILE)


def verify_generation(path: Path, listings: list[Listing]) -> None:
    """Doc count matches, a probe query finds a listing, and the listings file and columns hold
    every listing."""
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
    try:
        columns = DocColumns.read(path / COLUMNS_FILE)
    except ColumnsError as error:
        raise VerificationFailed(f"{path.name}: {error}") from None
    if sorted(columns.ids) != sorted(listing.id for listing in listings):
        raise VerificationFailed(f"{path.name}: {COLUMNS_FILE} does not hold the listings' ids")


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
            resolution = compute_listings(store, now)
        finally:
            store.close()
        listings, counts = resolution.listings, resolution.counts
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
        store = Store(data_dir / "store.sqlite3")
        try:
            resolution.record(store)
        finally:
            store.close()
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
