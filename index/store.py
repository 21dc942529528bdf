"""The SQLite system of record: observations, crawl runs, practitioner clusters, overrides, reports, audit.

One writer at a time (a process-local lock plus SQLite's own `BEGIN IMMEDIATE`), WAL so readers never
block the writer, and every write inside one transaction so a crash leaves the file consistent.
Owns: Store and StoreError; the schema is index.migrations, the rows it returns are index.records.
Must not import: index.build, index.search, search_web or crawler (all of them use the store).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.migrations import MIGRATIONS
from index.records import (
    AuditEntry,
    CrawlRun,
    Observation,
    Override,
    Report,
    StoredObservation,
    observation_key,
)
from index.sqlite import immediate_transaction

RUN_STATUSES = ("running", "finished", "failed", "interrupted")
REPORT_STATUSES = ("open", "resolved", "dismissed")
BUSY_TIMEOUT_MS = 10_000


class StoreError(RuntimeError):
    """The store cannot do what was asked (unknown run, bad status, ...); the message says why."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SQL_BATCH = 500  # ids per IN (...) clause, well under SQLite's variable limit


def _stored(row: sqlite3.Row) -> StoredObservation:
    return StoredObservation(
        id=row["id"],
        observation=Observation(
            source=row["source"],
            kind=row["kind"],
            source_key=row["source_key"],
            url=row["url"],
            fetched_at=row["fetched_at"],
            payload=json.loads(row["payload"]),
        ),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        run_id=row["run_id"],
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _upsert(db: sqlite3.Connection, run_id: int | None, obs: Observation) -> None:
    db.execute(
        "INSERT INTO observations (source, kind, source_key, url, fetched_at, first_seen,"
        " last_seen, payload, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (source, kind, source_key) DO UPDATE SET url = excluded.url,"
        " fetched_at = excluded.fetched_at, payload = excluded.payload, run_id = excluded.run_id,"
        " last_seen = MAX(observations.last_seen, excluded.last_seen),"
        " first_seen = MIN(observations.first_seen, excluded.first_seen)",
        (obs.source, obs.kind, obs.source_key, obs.url, obs.fetched_at, obs.fetched_at)
        + (obs.fetched_at, obs.payload_json(), run_id),
    )


class Store:
    """The system of record. Safe to share across threads (calls are serialised by a lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so every write is one explicit transaction.
        self._db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self.migrate()

    # --- plumbing ---------------------------------------------------------------------------------

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self._db, self._lock)

    def _query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def migrate(self) -> int:
        """Apply pending migrations; idempotent. Returns the schema version."""
        with self._transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
        for version, migration in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            with self._transaction() as db:
                # Re-check inside the write lock: another process may have migrated meanwhile.
                row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
                if (row[0] or 0) >= version:
                    continue
                migration(db)
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        return self.schema_version()

    def schema_version(self) -> int:
        return self._query("SELECT MAX(version) FROM schema_version")[0][0] or 0

    def pragma(self, name: str) -> Any:
        return self._query(f"PRAGMA {name}")[0][0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- crawler API (docs/ARCHITECTURE.md §1) ----------------------------------------------------

    def start_run(self, source: str, args: dict) -> int:
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO crawl_runs (source, args, started_at, status) VALUES (?, ?, ?, 'running')",
                (source, _dumps(args), utc_now()),
            )
            return int(cur.lastrowid)

    def record_observation(self, run_id: int | None, obs: Observation) -> None:
        """Validate and upsert; re-observing keeps `first_seen` and moves `last_seen` forward."""
        obs.validate()
        with self._transaction() as db:
            _upsert(db, run_id, obs)

    def record_deliveries(self, run_id: int | None, batch: list[tuple[str, Observation]]) -> int:
        """Apply (delivery id, observation) pairs in one transaction, skipping delivery ids
        applied before (an item delivered twice is one observation). Returns how many applied."""
        for _, obs in batch:
            obs.validate()
        applied = 0
        with self._transaction() as db:
            for delivery_id, obs in batch:
                cur = db.execute(
                    "INSERT OR IGNORE INTO deliveries (id, observation_key, run_id, ingested_at)"
                    " VALUES (?, ?, ?, ?)",
                    (delivery_id, obs.key, run_id, utc_now()),
                )
                if cur.rowcount:
                    _upsert(db, run_id, obs)
                    applied += 1
        return applied

    def delivery_count(self) -> int:
        return self._query("SELECT COUNT(*) FROM deliveries")[0][0]

    def record_rejection(self, run_id: int | None, reason: str, url: str | None) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO rejections (run_id, reason, url, created_at) VALUES (?, ?, ?, ?)",
                (run_id, reason, url, utc_now()),
            )

    def finish_run(self, run_id: int, status: str, stats: dict, errors: list[str]) -> None:
        if status not in RUN_STATUSES:
            raise StoreError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, stats = ?, errors = ? WHERE id = ?",
                (utc_now(), status, _dumps(stats), _dumps(list(errors)), run_id),
            )
            if cur.rowcount == 0:
                raise StoreError(f"no crawl run with id {run_id}")

    # --- reading ----------------------------------------------------------------------------------

    def observations(self, kind: str | None = None) -> list[StoredObservation]:
        sql = "SELECT * FROM observations"
        params: tuple = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            params = (kind,)
        sql += " ORDER BY id"
        return [_stored(row) for row in self._query(sql, params)]

    def linked_observations(
        self, practitioner_ids: Iterable[str]
    ) -> dict[str, list[StoredObservation]]:
        """The observations of these practitioners as the last build clustered them."""
        wanted = sorted(set(practitioner_ids))
        found: dict[str, list[StoredObservation]] = {}
        for start in range(0, len(wanted), _SQL_BATCH):
            batch = wanted[start : start + _SQL_BATCH]
            rows = self._query(
                "SELECT o.*, l.practitioner_id FROM observations o "
                "JOIN practitioner_links l ON l.observation_id = o.id "
                f"WHERE l.practitioner_id IN ({','.join('?' * len(batch))}) ORDER BY o.id",
                batch,
            )
            for row in rows:
                found.setdefault(row["practitioner_id"], []).append(_stored(row))
        return found

    def observations_by_key(self, kind: str, source_keys: Iterable[str]) -> list[StoredObservation]:
        """Observations of one kind with these source keys (any source), oldest first."""
        keys = sorted(set(source_keys))
        found: list[StoredObservation] = []
        for start in range(0, len(keys), _SQL_BATCH):
            batch = keys[start : start + _SQL_BATCH]
            found += [
                _stored(row)
                for row in self._query(
                    "SELECT * FROM observations WHERE kind = ? AND source_key IN "
                    f"({','.join('?' * len(batch))}) ORDER BY id",
                    [kind, *batch],
                )
            ]
        return sorted(found, key=lambda stored: stored.id)

    def runs(self) -> list[CrawlRun]:
        return [
            CrawlRun(
                id=row["id"],
                source=row["source"],
                args=json.loads(row["args"]),
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                status=row["status"],
                stats=json.loads(row["stats"]),
                errors=json.loads(row["errors"]),
            )
            for row in self._query("SELECT * FROM crawl_runs ORDER BY id")
        ]

    def rejections(self, run_id: int | None = None) -> list[dict]:
        sql, params = "SELECT * FROM rejections", ()
        if run_id is not None:
            sql, params = sql + " WHERE run_id = ?", (run_id,)
        return [dict(row) for row in self._query(sql + " ORDER BY id", params)]

    # --- clusters (written by index.build) --------------------------------------------------------

    def practitioner_links(self) -> dict[int, str]:
        """observation id -> practitioner id, as of the last build."""
        return {
            row["observation_id"]: row["practitioner_id"]
            for row in self._query("SELECT observation_id, practitioner_id FROM practitioner_links")
        }

    def replace_clusters(
        self, clusters: list[tuple[str, str, list[tuple[int, str, float]]]]
    ) -> None:
        """Record the resolution of one build: [(practitioner_id, anchor, [(obs_id, reason, score)])].

        Practitioner rows are kept forever (ids are referenced by overrides, reports and the audit log);
        links are replaced wholesale in one transaction.
        """
        now = utc_now()
        with self._transaction() as db:
            db.execute("DELETE FROM practitioner_links")
            for practitioner_id, anchor, links in clusters:
                db.execute(
                    "INSERT OR IGNORE INTO practitioners (id, anchor, created) VALUES (?, ?, ?)",
                    (practitioner_id, anchor, now),
                )
                db.executemany(
                    "INSERT INTO practitioner_links (observation_id, practitioner_id, reason, score)"
                    " VALUES (?, ?, ?, ?)",
                    [(obs_id, practitioner_id, reason, score) for obs_id, reason, score in links],
                )

    def reassign_overrides(self, moves: dict[int, str], who: str = "index.build") -> None:
        """Point overrides at the cluster that now holds their person (its id changed), audited."""
        if not moves:
            return
        with self._transaction() as db:
            for override_id, practitioner_id in sorted(moves.items()):
                row = db.execute(
                    "SELECT practitioner_id FROM overrides WHERE id = ?", (override_id,)
                ).fetchone()
                if row is None or row[0] == practitioner_id:
                    continue
                db.execute(
                    "UPDATE overrides SET practitioner_id = ? WHERE id = ?",
                    (practitioner_id, override_id),
                )
                self._audit(
                    db,
                    who,
                    "override.move",
                    f"override:{override_id}",
                    row[0],
                    practitioner_id,
                    "the person's cluster id changed",
                )

    def practitioner_ids(self) -> list[str]:
        return [row[0] for row in self._query("SELECT id FROM practitioners ORDER BY id")]

    def observation_keys_for(self, practitioner_id: str) -> list[str]:
        """Keys ("source|kind|source_key") of the observations linked to a practitioner by the last build."""
        rows = self._query(
            "SELECT o.source, o.kind, o.source_key FROM practitioner_links l"
            " JOIN observations o ON o.id = l.observation_id WHERE l.practitioner_id = ?"
            " ORDER BY o.source, o.kind, o.source_key",
            (practitioner_id,),
        )
        return [observation_key(*row) for row in rows]

    def merge_practitioners(
        self, practitioner_id: str, other_id: str, author: str, reason: str = ""
    ) -> int:
        """Force two people into one at the next build (never two different NPIs: resolution refuses).

        Stored as observation keys, not cluster ids, so the decision survives recrawls and id changes.
        """
        ours, theirs = (
            self.observation_keys_for(practitioner_id),
            self.observation_keys_for(other_id),
        )
        if not ours or not theirs:
            raise StoreError("both practitioners must exist in the last build to merge them")
        return self.add_override(
            practitioner_id,
            "merge",
            {"together": [ours[0], theirs[0]], "with": other_id},
            author,
            reason,
        )

    def split_observation(
        self, practitioner_id: str, key: str, author: str, reason: str = ""
    ) -> list[int]:
        """Detach one observation from a person: it may not share a cluster with any of the others."""
        keys = self.observation_keys_for(practitioner_id)
        if key not in keys:
            raise StoreError(f"observation {key!r} is not part of {practitioner_id}")
        return [
            self.add_override(practitioner_id, "split", {"apart": [key, other]}, author, reason)
            for other in keys
            if other != key
        ]

    # --- overrides, reports, audit ----------------------------------------------------------------

    def add_override(
        self, practitioner_id: str, field: str, value: Any, author: str, reason: str = ""
    ) -> int:
        """Record an admin override (applied at the next build) and audit it in the same transaction."""
        now = utc_now()
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO overrides (practitioner_id, field, value, author, created_at, reason, active)"
                " VALUES (?, ?, ?, ?, ?, ?, 1)",
                (practitioner_id, field, _dumps(value), author, now, reason),
            )
            override_id = int(cur.lastrowid)
            self._audit(db, author, "override.add", practitioner_id, None, {field: value}, reason)
        return override_id

    def deactivate_override(self, override_id: int, author: str, reason: str = "") -> None:
        with self._transaction() as db:
            row = db.execute("SELECT * FROM overrides WHERE id = ?", (override_id,)).fetchone()
            if row is None:
                raise StoreError(f"no override with id {override_id}")
            db.execute("UPDATE overrides SET active = 0 WHERE id = ?", (override_id,))
            self._audit(
                db,
                author,
                "override.deactivate",
                row["practitioner_id"],
                {row["field"]: json.loads(row["value"])},
                None,
                reason,
            )

    def overrides_for(
        self, practitioner_id: str | None = None, include_inactive: bool = False
    ) -> list[Override]:
        """Overrides for one practitioner, or all of them when practitioner_id is None, oldest first."""
        clauses, params = [], []
        if practitioner_id is not None:
            clauses.append("practitioner_id = ?")
            params.append(practitioner_id)
        if not include_inactive:
            clauses.append("active = 1")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [
            Override(
                id=row["id"],
                practitioner_id=row["practitioner_id"],
                field=row["field"],
                value=json.loads(row["value"]),
                author=row["author"],
                created_at=row["created_at"],
                reason=row["reason"],
                active=bool(row["active"]),
            )
            for row in self._query(f"SELECT * FROM overrides{where} ORDER BY id", params)
        ]

    def add_report(
        self, practitioner_id: str, kind: str, message: str, contact: str | None = None
    ) -> int:
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO reports (practitioner_id, kind, message, contact, created_at, status)"
                " VALUES (?, ?, ?, ?, ?, 'open')",
                (practitioner_id, kind, message, contact, utc_now()),
            )
            return int(cur.lastrowid)

    def reports(self, status: str | None = None) -> list[Report]:
        sql, params = "SELECT * FROM reports", ()
        if status is not None:
            sql, params = sql + " WHERE status = ?", (status,)
        return [Report(**dict(row)) for row in self._query(sql + " ORDER BY id", params)]

    def set_report_status(self, report_id: int, status: str, who: str, why: str = "") -> None:
        if status not in REPORT_STATUSES:
            raise StoreError(f"unknown report status {status!r}; expected one of {REPORT_STATUSES}")
        with self._transaction() as db:
            row = db.execute("SELECT status FROM reports WHERE id = ?", (report_id,)).fetchone()
            if row is None:
                raise StoreError(f"no report with id {report_id}")
            db.execute("UPDATE reports SET status = ? WHERE id = ?", (status, report_id))
            self._audit(db, who, "report.status", f"report:{report_id}", row["status"], status, why)

    def audit(
        self,
        who: str,
        action: str,
        target: str,
        before: Any = None,
        after: Any = None,
        why: str = "",
    ) -> int:
        with self._transaction() as db:
            return self._audit(db, who, action, target, before, after, why)

    def _audit(
        self,
        db: sqlite3.Connection,
        who: str,
        action: str,
        target: str,
        before: Any,
        after: Any,
        why: str,
    ) -> int:
        cur = db.execute(
            "INSERT INTO audit_log (who, at, action, target, before, after, why)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (who, utc_now(), action, target, _dumps(before), _dumps(after), why),
        )
        return int(cur.lastrowid)

    def audit_log(self, target: str | None = None) -> list[AuditEntry]:
        sql, params = "SELECT * FROM audit_log", ()
        if target is not None:
            sql, params = sql + " WHERE target = ?", (target,)
        return [
            AuditEntry(
                id=row["id"],
                who=row["who"],
                at=row["at"],
                action=row["action"],
                target=row["target"],
                before=json.loads(row["before"]) if row["before"] is not None else None,
                after=json.loads(row["after"]) if row["after"] is not None else None,
                why=row["why"],
            )
            for row in self._query(sql + " ORDER BY id", params)
        ]
