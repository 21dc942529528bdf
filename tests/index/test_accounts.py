"""Admin accounts: argon2 passwords, server-side sessions with timeouts, and the login throttle."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.accounts import (
    ABSOLUTE_TIMEOUT_SECONDS,
    IDLE_TIMEOUT_SECONDS,
    LOGIN_LIMIT,
    LOGIN_WINDOW_SECONDS,
    AccountError,
    Accounts,
    over_limit,
    session_expired,
)

PASSWORD = "lakeside-tulip-4417"


@pytest.fixture
def accounts(tmp_path: Path):
    accounts = Accounts.for_data_dir(tmp_path)
    yield accounts
    accounts.close()


def _all_bytes(path: Path) -> bytes:
    """The database file and its WAL, where fresh writes sit before a checkpoint."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_accounts_live_in_their_own_file_next_to_the_store(tmp_path):
    with Accounts.for_data_dir(tmp_path) as accounts:
        accounts.create_user("ana", "admin", PASSWORD)
    assert (tmp_path / "accounts.sqlite3").is_file()
    assert not (tmp_path / "store.sqlite3").exists()


def test_a_password_is_stored_only_as_an_argon2id_hash(accounts):
    accounts.create_user("ana", "admin", PASSWORD)
    assert PASSWORD.encode() not in _all_bytes(accounts.path)
    with sqlite3.connect(accounts.path) as db:
        (stored,) = db.execute("SELECT password_hash FROM users WHERE name = 'ana'").fetchone()
    assert stored.startswith("$argon2id$")


def test_the_right_password_signs_in_and_a_wrong_one_does_not(accounts):
    accounts.create_user("Ana", "editor", PASSWORD)
    user = accounts.authenticate("ana", PASSWORD)
    assert user is not None and user.name == "ana" and user.role == "editor"
    assert accounts.authenticate("ana", PASSWORD + "x") is None
    assert accounts.authenticate("nobody", PASSWORD) is None


def test_a_disabled_user_cannot_sign_in_and_loses_their_sessions(accounts):
    user = accounts.create_user("ana", "editor", PASSWORD)
    token, _ = accounts.create_session(user)
    accounts.set_disabled("ana")
    assert accounts.authenticate("ana", PASSWORD) is None
    assert accounts.session(token) is None
    accounts.set_disabled("ana", False)
    assert accounts.authenticate("ana", PASSWORD) is not None


def test_changing_a_password_ends_that_users_sessions(accounts):
    user = accounts.create_user("ana", "editor", PASSWORD)
    token, _ = accounts.create_session(user)
    accounts.set_password("ana", "a-brand-new-secret")
    assert accounts.session(token) is None
    assert accounts.authenticate("ana", PASSWORD) is None
    assert accounts.authenticate("ana", "a-brand-new-secret") is not None


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("ana", "owner", PASSWORD, "unknown role"),
        ("ana", "admin", "short", "at least"),
        ("ana", "admin", f" {PASSWORD}", "whitespace"),
        ("ana smith", "admin", PASSWORD, "user name"),
        ("", "admin", PASSWORD, "user name"),
    ],
)
def test_bad_account_requests_are_refused_with_a_reason(accounts, name, role, password, message):
    with pytest.raises(AccountError, match=message):
        accounts.create_user(name, role, password)
    assert accounts.users() == []


def test_a_user_name_cannot_be_taken_twice(accounts):
    accounts.create_user("ana", "admin", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_user("ANA", "editor", PASSWORD)


def test_changing_an_unknown_user_is_an_error(accounts):
    with pytest.raises(AccountError, match="no user"):
        accounts.set_password("ghost", PASSWORD)
    with pytest.raises(AccountError, match="no user"):
        accounts.set_disabled("ghost")


def test_the_session_token_itself_is_never_stored(accounts):
    user = accounts.create_user("ana", "admin", PASSWORD)
    token, session = accounts.create_session(user)
    assert len(token) >= 40
    assert token.encode() not in _all_bytes(accounts.path)
    found = accounts.session(token)
    assert found is not None and found.user.name == "ana"
    assert found.csrf_token == session.csrf_token


def test_each_session_gets_its_own_token_and_csrf_token(accounts):
    user = accounts.create_user("ana", "admin", PASSWORD)
    first_token, first = accounts.create_session(user)
    second_token, second = accounts.create_session(user)
    assert first_token != second_token
    assert first.csrf_token != second.csrf_token


def test_an_idle_session_expires_and_activity_keeps_it_alive(accounts):
    user = accounts.create_user("ana", "admin", PASSWORD)
    token, _ = accounts.create_session(user, now=1000.0)
    assert accounts.session(token, now=1000.0 + IDLE_TIMEOUT_SECONDS - 1) is not None
    # last_seen moved forward, so a second idle period counts from there.
    assert accounts.session(token, now=1000.0 + 2 * IDLE_TIMEOUT_SECONDS - 2) is not None
    assert accounts.session(token, now=1000.0 + 3 * IDLE_TIMEOUT_SECONDS) is None
    # Expired sessions are deleted, not merely refused.
    assert accounts.session_count("ana") == 0


def test_a_session_ends_at_the_absolute_timeout_however_active(accounts):
    user = accounts.create_user("ana", "admin", PASSWORD)
    token, _ = accounts.create_session(user, now=0.0)
    now = 0.0
    while now + IDLE_TIMEOUT_SECONDS / 2 < ABSOLUTE_TIMEOUT_SECONDS:
        now += IDLE_TIMEOUT_SECONDS / 2
        assert accounts.session(token, now=now) is not None
    assert accounts.session(token, now=ABSOLUTE_TIMEOUT_SECONDS + 1) is None


def test_ending_a_session_invalidates_its_token(accounts):
    user = accounts.create_user("ana", "admin", PASSWORD)
    token, _ = accounts.create_session(user)
    accounts.end_session(token)
    assert accounts.session(token) is None
    assert accounts.session(None) is None
    assert accounts.session("made-up-token") is None


def test_the_sixth_attempt_for_one_user_in_a_minute_is_refused_from_any_ip(accounts):
    for attempt in range(LOGIN_LIMIT):
        assert accounts.login_allowed(f"192.0.2.{attempt}", "ana", now=100.0 + attempt)
        accounts.record_login_attempt(f"192.0.2.{attempt}", "ana", ok=False, now=100.0 + attempt)
    assert not accounts.login_allowed("198.51.100.7", "ana", now=106.0)
    assert accounts.login_allowed("198.51.100.7", "ben", now=106.0)


def test_the_sixth_attempt_from_one_ip_in_a_minute_is_refused_for_any_user(accounts):
    for attempt in range(LOGIN_LIMIT):
        accounts.record_login_attempt("192.0.2.1", f"user{attempt}", ok=False, now=100.0)
    assert not accounts.login_allowed("192.0.2.1", "someone-else", now=101.0)
    assert accounts.login_allowed("192.0.2.2", "someone-else", now=101.0)


def test_failed_attempts_older_than_the_window_no_longer_count(accounts):
    for _ in range(LOGIN_LIMIT):
        accounts.record_login_attempt("192.0.2.1", "ana", ok=False, now=100.0)
    assert not accounts.login_allowed("192.0.2.1", "ana", now=100.0 + LOGIN_WINDOW_SECONDS - 1)
    assert accounts.login_allowed("192.0.2.1", "ana", now=100.0 + LOGIN_WINDOW_SECONDS + 1)


def test_successful_sign_ins_do_not_use_up_the_limit(accounts):
    for _ in range(LOGIN_LIMIT * 2):
        accounts.record_login_attempt("192.0.2.1", "ana", ok=True, now=100.0)
    assert accounts.login_allowed("192.0.2.1", "ana", now=101.0)


@given(st.lists(st.floats(min_value=0, max_value=200, allow_nan=False), max_size=20))
def test_over_limit_counts_only_attempts_inside_the_window(times):
    now = 200.0
    recent = [t for t in times if now - LOGIN_WINDOW_SECONDS < t <= now]
    assert over_limit(times, now) == (len(recent) >= LOGIN_LIMIT)


def test_session_expiry_is_the_earlier_of_idle_and_absolute():
    assert not session_expired(created=0, last_seen=0, now=10, idle=20, absolute=100)
    assert session_expired(created=0, last_seen=0, now=21, idle=20, absolute=100)
    assert session_expired(created=0, last_seen=95, now=101, idle=20, absolute=100)
