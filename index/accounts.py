"""Admin accounts, sessions and login attempts, in their own SQLite file (DATA_DIR/accounts.sqlite3).

Credentials live apart from the public data so that copying or publishing store.sqlite3 never leaks
them. Passwords are kept only as argon2id hashes. Session tokens are random (secrets.token_urlsafe);
the table keeps a SHA-256 of the token, never the token itself, so a leaked accounts file cannot be
replayed as a cookie. Login attempts are rows in this file (not per-process memory) so the rate limit
holds across uvicorn workers and restarts.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from index.sqlite import immediate_transaction

ROLES = ("admin", "editor")
MIN_PASSWORD_LENGTH = 10
IDLE_TIMEOUT_SECONDS = 30 * 60  # a forgotten tab stops being a session after half an hour
ABSOLUTE_TIMEOUT_SECONDS = 12 * 3600  # one working day, whatever the activity
# Login throttle: at most LOGIN_LIMIT failed attempts per IP and per user name in LOGIN_WINDOW seconds;
# the next attempt is refused before the password is even checked.
LOGIN_LIMIT = 5
LOGIN_WINDOW_SECONDS = 60
ATTEMPT_RETENTION_SECONDS = 24 * 3600
BUSY_TIMEOUT_MS = 10_000
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")

# One hasher for the process; argon2-cffi's defaults are the RFC 9106 "low memory" profile.
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of "no such user" and
# "wrong password" alike, so the login form does not reveal which user names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about accounts that cannot be done (bad role, short password, unknown user, ...)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    disabled: bool
    created: float

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    """A live session: the user it belongs to and its CSRF token (one per session)."""

    user: User
    csrf_token: str
    created: float
    last_seen: float


def normalise_user_name(name: str) -> str:
    clean = (name or "").strip().lower()
    if not clean or len(clean) > 64 or not set(clean) <= _NAME_CHARS:
        raise AccountError(
            "a user name is 1-64 characters of letters, digits, '.', '_', '-' or '@'"
        )
    return clean


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise AccountError("a password cannot start or end with whitespace")


def session_expired(
    created: float,
    last_seen: float,
    now: float,
    idle: float = IDLE_TIMEOUT_SECONDS,
    absolute: float = ABSOLUTE_TIMEOUT_SECONDS,
) -> bool:
    return now - last_seen > idle or now - created > absolute


def over_limit(attempt_times: Sequence[float], now: float) -> bool:
    """True when the attempts inside the window already reach the limit (so this one is refused)."""
    recent = [t for t in attempt_times if now - LOGIN_WINDOW_SECONDS < t <= now]
    return len(recent) >= LOGIN_LIMIT


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,            -- sha256 of the cookie token
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    ip TEXT NOT NULL,
    user TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_at ON login_attempts(at);
"""


class Accounts:
    """Users, sessions and the login throttle. Thread-safe; `now` parameters exist for tests."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(self.path),
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA foreign_keys = ON")
        with self._transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Accounts:
        return cls(Path(data_dir) / "accounts.sqlite3")

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self._db, self._lock)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- users ------------------------------------------------------------------------------------

    @staticmethod
    def _user(row: sqlite3.Row) -> User:
        return User(
            name=row["name"],
            role=row["role"],
            disabled=bool(row["disabled"]),
            created=row["created"],
        )

    def create_user(self, name: str, role: str, password: str, now: float | None = None) -> User:
        name = normalise_user_name(name)
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        check_password_strength(password)
        password_hash = _hasher.hash(password)
        created = time.time() if now is None else now
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"user {name!r} already exists; use set-password to change it")
            db.execute(
                "INSERT INTO users (name, role, password_hash, disabled, created) VALUES (?, ?, ?, 0, ?)",
                (name, role, password_hash, created),
            )
        return User(name=name, role=role, disabled=False, created=created)

    def get_user(self, name: str) -> User | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM users WHERE name = ?", ((name or "").strip().lower(),)
            ).fetchone()
        return self._user(row) if row else None

    def users(self) -> list[User]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM users ORDER BY name").fetchall()
        return [self._user(row) for row in rows]

    def set_password(self, name: str, password: str) -> None:
        """Change a password and end that user's sessions (a reset must lock out a thief)."""
        check_password_strength(password)
        password_hash = _hasher.hash(password)
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?",
                (password_hash, (name or "").strip().lower()),
            )
            if cur.rowcount == 0:
                raise AccountError(f"no user named {name!r}")
            db.execute("DELETE FROM sessions WHERE user = ?", ((name or "").strip().lower(),))

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE users SET disabled = ? WHERE name = ?",
                (int(disabled), (name or "").strip().lower()),
            )
            if cur.rowcount == 0:
                raise AccountError(f"no user named {name!r}")
            if disabled:
                db.execute("DELETE FROM sessions WHERE user = ?", ((name or "").strip().lower(),))

    def set_role(self, name: str, role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE users SET role = ? WHERE name = ?", (role, (name or "").strip().lower())
            )
            if cur.rowcount == 0:
                raise AccountError(f"no user named {name!r}")

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the name and password match an enabled account, else None."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM users WHERE name = ?", ((name or "").strip().lower(),)
            ).fetchone()
        try:
            _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or row["disabled"]:
            return None
        if _hasher.check_needs_rehash(row["password_hash"]):
            with self._transaction() as db:
                db.execute(
                    "UPDATE users SET password_hash = ? WHERE name = ?",
                    (_hasher.hash(password), row["name"]),
                )
        return self._user(row)

    # --- login throttle ---------------------------------------------------------------------------

    def login_allowed(self, ip: str, name: str, now: float | None = None) -> bool:
        """False when this IP or this user name already failed LOGIN_LIMIT times in the window."""
        now = time.time() if now is None else now
        since = now - LOGIN_WINDOW_SECONDS
        with self._lock:
            by_ip = [
                row[0]
                for row in self._db.execute(
                    "SELECT at FROM login_attempts WHERE ok = 0 AND ip = ? AND at > ?", (ip, since)
                )
            ]
            by_user = [
                row[0]
                for row in self._db.execute(
                    "SELECT at FROM login_attempts WHERE ok = 0 AND user = ? AND at > ?",
                    ((name or "").strip().lower(), since),
                )
            ]
        return not (over_limit(by_ip, now) or over_limit(by_user, now))

    def record_login_attempt(self, ip: str, name: str, ok: bool, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._transaction() as db:
            db.execute(
                "INSERT INTO login_attempts (at, ip, user, ok) VALUES (?, ?, ?, ?)",
                (now, ip, (name or "").strip().lower()[:64], int(ok)),
            )
            db.execute(
                "DELETE FROM login_attempts WHERE at < ?", (now - ATTEMPT_RETENTION_SECONDS,)
            )

    # --- sessions ---------------------------------------------------------------------------------

    def create_session(self, user: User, now: float | None = None) -> tuple[str, Session]:
        """A new session; returns (cookie token, session). Only the token's digest is stored."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO sessions (id, user, csrf_token, created, last_seen) VALUES (?, ?, ?, ?, ?)",
                (_token_digest(token), user.name, csrf_token, now, now),
            )
        return token, Session(user=user, csrf_token=csrf_token, created=now, last_seen=now)

    def session(
        self,
        token: str | None,
        now: float | None = None,
        idle: float = IDLE_TIMEOUT_SECONDS,
        absolute: float = ABSOLUTE_TIMEOUT_SECONDS,
    ) -> Session | None:
        """The live session for a cookie token (touching last_seen), or None; expired ones are deleted."""
        if not token:
            return None
        now = time.time() if now is None else now
        digest = _token_digest(token)
        with self._transaction() as db:
            row = db.execute(
                "SELECT s.*, u.role, u.disabled, u.created AS user_created FROM sessions s"
                " JOIN users u ON u.name = s.user WHERE s.id = ?",
                (digest,),
            ).fetchone()
            if row is None:
                return None
            if row["disabled"] or session_expired(
                row["created"], row["last_seen"], now, idle, absolute
            ):
                db.execute("DELETE FROM sessions WHERE id = ?", (digest,))
                return None
            db.execute("UPDATE sessions SET last_seen = ? WHERE id = ?", (now, digest))
        user = User(name=row["user"], role=row["role"], disabled=False, created=row["user_created"])
        return Session(
            user=user, csrf_token=row["csrf_token"], created=row["created"], last_seen=now
        )

    def end_session(self, token: str | None) -> None:
        if not token:
            return
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (_token_digest(token),))

    def session_count(self, name: str | None = None) -> int:
        with self._lock:
            if name is None:
                return self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
            return self._db.execute(
                "SELECT COUNT(*) FROM sessions WHERE user = ?", (name.strip().lower(),)
            ).fetchone()[0]
