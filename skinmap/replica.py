"""Serve replicas on other machines: `skinmap publish` (on the store machine) writes a manifest
of the live index generation with a SHA-256 per file; `skinmap follow --from SRC` (on each serve
machine) copies a newly published generation into its own data dir, verifies every file against
the manifest, and only then switches its `CURRENT` atomically. `skinmap serve` there notices the
switch within a second, as on one machine. SRC is the store machine's data dir as this machine
sees it: a shared mount, or a copy kept by rsync / an object-store sync.

`patches.jsonl` (admin edits since the build) only grows, so a replica copies exactly the bytes
the manifest lists and its checksum still holds while the store machine appends; `publish` again
to ship newer edits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.build import READY_FILE, current_generation, index_dir, write_current

log = logging.getLogger("skinmap.replica")
MANIFEST = "PUBLISHED.json"
_CHUNK = 1 << 20


class ReplicaError(RuntimeError):
    """A published generation that cannot be used (missing, incomplete or corrupt)."""


@dataclass(frozen=True)
class Manifest:
    generation: str
    published_at: str
    files: dict[str, dict]  # relative path -> {"size": int, "sha256": str}

    def to_json(self) -> str:
        fields = {"generation": self.generation, "published_at": self.published_at}
        return json.dumps({**fields, "files": self.files}, indent=1, sort_keys=True)


def _digest(path: Path, size: int) -> str:
    """SHA-256 of the first `size` bytes of `path`."""
    sha, left = hashlib.sha256(), size
    with open(path, "rb") as handle:
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            if not chunk:
                break
            sha.update(chunk)
            left -= len(chunk)
    if left:
        raise ReplicaError(f"{path} is shorter than the {size} bytes the manifest lists")
    return sha.hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def publish(data_dir: Path) -> Manifest:
    """Write DIR/index/PUBLISHED.json for the live generation; returns it."""
    generation = current_generation(data_dir)
    if generation is None:
        raise ReplicaError("no index generation to publish yet; run `skinmap index` first")
    root = index_dir(data_dir) / generation
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        size = path.stat().st_size
        files[path.relative_to(root).as_posix()] = {"size": size, "sha256": _digest(path, size)}
    if READY_FILE not in files:
        raise ReplicaError(f"{generation} is not complete (no {READY_FILE}); not published")
    manifest = Manifest(generation, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), files)
    _atomic_write(index_dir(data_dir) / MANIFEST, manifest.to_json() + "\n")
    return manifest


def read_manifest(source_dir: Path) -> Manifest:
    path = index_dir(source_dir) / MANIFEST
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(fields["generation"], fields["published_at"], fields["files"])
    except FileNotFoundError:
        raise ReplicaError(f"nothing published in {source_dir} (no {path})") from None
    except (ValueError, KeyError, TypeError) as error:
        raise ReplicaError(f"{path} is not a manifest: {error}") from None


def _copy_prefix(source: Path, target: Path, size: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as read, open(target, "wb") as write:
        left = size
        while left > 0:
            chunk = read.read(min(_CHUNK, left))
            if not chunk:
                break
            write.write(chunk)
            left -= len(chunk)
        write.flush()
        os.fsync(write.fileno())


def _verified(root: Path, manifest: Manifest) -> bool:
    try:
        return all(
            (root / name).stat().st_size == entry["size"]
            and _digest(root / name, entry["size"]) == entry["sha256"]
            for name, entry in manifest.files.items()
        )
    except (OSError, ReplicaError):
        return False


def sync(source_dir: Path, data_dir: Path) -> str | None:
    """Make this data dir serve the generation published in `source_dir`; the generation it
    switched to, or None when it already serves it. Nothing changes unless every file verifies."""
    manifest = read_manifest(source_dir)
    local_root = index_dir(data_dir)
    target = local_root / manifest.generation
    if current_generation(data_dir) == manifest.generation and _verified(target, manifest):
        return None
    incoming = local_root / f".incoming-{manifest.generation}-{os.getpid()}"
    shutil.rmtree(incoming, ignore_errors=True)
    source_root = index_dir(source_dir) / manifest.generation
    try:
        for name, entry in manifest.files.items():
            try:
                _copy_prefix(source_root / name, incoming / name, entry["size"])
            except FileNotFoundError:
                raise ReplicaError(
                    f"{manifest.generation}/{name} is missing in {source_dir}"
                ) from None
        for name, entry in manifest.files.items():
            if _digest(incoming / name, entry["size"]) != entry["sha256"]:
                raise ReplicaError(
                    f"{manifest.generation}/{name} does not match its published checksum; "
                    "still serving the previous generation"
                )
        shutil.rmtree(target, ignore_errors=True)  # a stale or broken copy of the same name
        os.replace(incoming, target)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    write_current(data_dir, manifest.generation)
    return manifest.generation


def follow(
    source_dir: Path, data_dir: Path, interval_s: float, should_stop: Callable[[], bool]
) -> None:
    """Sync every `interval_s` seconds until stopped; a bad publication is logged and skipped."""
    while not should_stop():
        try:
            switched = sync(source_dir, data_dir)
            if switched:
                prune(data_dir)
                log.info("now serving %s from %s", switched, source_dir)
        except ReplicaError as error:
            log.error("%s", error)
        deadline = time.monotonic() + interval_s
        while time.monotonic() < deadline and not should_stop():
            time.sleep(min(0.5, interval_s))


KEEP_GENERATIONS = 3  # on a replica: the live one and two to roll back to


def prune(data_dir: Path) -> None:
    from index.build import generations

    live = current_generation(data_dir)
    for name in generations(data_dir)[:-KEEP_GENERATIONS]:
        if name != live:
            shutil.rmtree(index_dir(data_dir) / name, ignore_errors=True)


# --- the commands ---------------------------------------------------------------------------------


def add_replica_parsers(commands) -> None:
    commands.add_parser(
        "publish", help="write a manifest with checksums of the live index for serve replicas"
    )
    follow_parser = commands.add_parser(
        "follow",
        help="serve replica: copy, verify and switch to the generation published in --from DIR",
    )
    follow_parser.add_argument(
        "--from", dest="source", required=True, metavar="DIR", help="the store machine's data dir"
    )
    follow_parser.add_argument("--once", action="store_true", help="sync once and exit")
    follow_parser.add_argument(
        "--interval", type=float, default=10.0, help="seconds between checks (10)"
    )


def cmd_publish(args, data_dir: Path) -> int:
    manifest = publish(data_dir)
    size = sum(entry["size"] for entry in manifest.files.values())
    print(
        f"published {manifest.generation}: {len(manifest.files)} files, {size} bytes, in "
        f"{index_dir(data_dir) / MANIFEST}"
    )
    return 0


def cmd_follow(args, data_dir: Path) -> int:
    import signal

    source = Path(args.source).expanduser().resolve()
    if args.once:
        switched = sync(source, data_dir)
        prune(data_dir)
        print(f"now serving {switched}" if switched else "already serving the published generation")
        return 0
    stop = {"requested": False}

    def request_stop(signum, frame) -> None:
        stop["requested"] = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    print(f"following {source} every {args.interval:.0f} s (Ctrl-C stops)", flush=True)
    follow(source, data_dir, args.interval, lambda: stop["requested"])
    return 0
