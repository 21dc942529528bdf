"""SQLite plumbing shared by the store and the accounts file: one writer per connection."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate_transaction(
    db: sqlite3.Connection, lock: threading.RLock
) -> Iterator[sqlite3.Connection]:
    """All of the block or none of it. BEGIN IMMEDIATE takes the write lock up front, so two
    writers queue on busy_timeout instead of failing halfway through an upgrade from a read."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
