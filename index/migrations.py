"""The store's SQLite schema, as append-only migrations (index.store.Store.migrate runs them).

Owns: MIGRATIONS. Each migration runs once, inside its own transaction; never edit one that has
shipped, append a new one. Must not import other index modules (the schema stands alone).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _run_statements(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, which would break the migration's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _m1_initial(db: sqlite3.Connection) -> None:
    _run_statements(
        db,
        """
        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            args TEXT NOT NULL DEFAULT '{}',
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            stats TEXT NOT NULL DEFAULT '{}',
            errors TEXT NOT NULL DEFAULT '[]'
        );
        CREATE TABLE observations (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            source_key TEXT NOT NULL,
            url TEXT,
            fetched_at TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            payload TEXT NOT NULL,
            run_id INTEGER REFERENCES crawl_runs(id) ON DELETE SET NULL,
            UNIQUE (source, kind, source_key)
        );
        CREATE INDEX observations_kind ON observations(kind);
        CREATE TABLE rejections (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES crawl_runs(id) ON DELETE CASCADE,
            reason TEXT NOT NULL,
            url TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE practitioners (
            id TEXT PRIMARY KEY,
            anchor TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE TABLE practitioner_links (
            observation_id INTEGER PRIMARY KEY REFERENCES observations(id) ON DELETE CASCADE,
            practitioner_id TEXT NOT NULL REFERENCES practitioners(id),
            reason TEXT NOT NULL,
            score REAL NOT NULL
        );
        CREATE INDEX practitioner_links_pid ON practitioner_links(practitioner_id);
        CREATE TABLE overrides (
            id INTEGER PRIMARY KEY,
            practitioner_id TEXT NOT NULL,
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX overrides_pid ON overrides(practitioner_id);
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            practitioner_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            contact TEXT,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            who TEXT NOT NULL,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            before TEXT,
            after TEXT,
            why TEXT NOT NULL DEFAULT ''
        );
        """,
    )


def _m2_deliveries(db: sqlite3.Connection) -> None:
    # Items of a distributed crawl arrive through Redis at least once; the delivery ids already
    # applied make a second delivery of the same item a no-op (crawler/ingest.py).
    _run_statements(
        db,
        """
        CREATE TABLE deliveries (
            id TEXT PRIMARY KEY,
            observation_key TEXT NOT NULL,
            run_id INTEGER REFERENCES crawl_runs(id) ON DELETE SET NULL,
            ingested_at TEXT NOT NULL
        ) WITHOUT ROWID
        """,
    )


# Overrides carry no foreign key to practitioners on purpose: a cluster id may disappear for a build
# (e.g. after an admin split) and its overrides must survive until it comes back.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m1_initial, _m2_deliveries]
