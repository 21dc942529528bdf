"""Every skinmap setting in one table: the CLI, the README and a test all read it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str

    def value(self, environ: dict[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        return env.get(self.name, self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SKINMAP_DATA_DIR",
        "./var/data",
        "Directory holding all state: store.sqlite3, index generations, crawl logs and job dirs. "
        "`--data-dir` overrides it.",
    ),
    Setting(
        "SKINMAP_STALE_DAYS",
        "180",
        "A listing not seen by any crawl for this many days is flagged stale and ranks lower.",
    ),
    Setting(
        "SKINMAP_TILE_URL",
        None,
        "Map tile URL template (e.g. https://tile.example.org/{z}/{x}/{y}.png) for deployments; "
        "unset, the map draws the bundled offline US outline.",
    ),
    Setting(
        "SKINMAP_SECRET_KEY",
        None,
        "Key that signs the patient report form's CSRF tokens. Set one shared value for all "
        "workers and restarts; unset, each process makes a random key (fine for a demo).",
    ),
    Setting(
        "SKINMAP_BASE_URL",
        None,
        "Public site root (e.g. https://skinmap.example) for absolute linked-data ids, the "
        "JSON-LD and HSDS exports' links and /hsds/ service URLs; `skinmap export --base-url` "
        "overrides it. Unset: pages use their own address, exports relative links.",
    ),
    Setting(
        "SKINMAP_HOST",
        "127.0.0.1",
        "Address `skinmap serve` binds to.",
    ),
    Setting(
        "SKINMAP_PORT",
        "8000",
        "Port `skinmap serve` listens on.",
    ),
    Setting(
        "SKINMAP_REDIS_LEASE_S",
        "60",
        "Distributed crawl: seconds a claimed site's lease lasts (renewed every third of it); a "
        "dead worker's sites are re-queued once it runs out, and `skinmap ingest` takes over items "
        "a stopped ingest left pending for this long.",
    ),
    Setting(
        "SKINMAP_REDIS_WAIT_S",
        "300",
        "Distributed crawl: how long a worker (and `ingest --drain`) waits for an unreachable "
        "Redis before it stops; nothing is lost either way.",
    ),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}


def get(name: str, environ: dict[str, str] | None = None) -> str | None:
    return BY_NAME[name].value(environ)


def data_dir(cli_value: str | None = None, environ: dict[str, str] | None = None) -> Path:
    """The data directory: the CLI flag, else SKINMAP_DATA_DIR, else ./var/data."""
    raw = cli_value or get("SKINMAP_DATA_DIR", environ) or "./var/data"
    return Path(raw).expanduser().resolve()
