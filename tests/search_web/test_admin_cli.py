"""`skinmap admin ...` (skinmap/admin_cli.py): users are created, changed and disabled from the shell.

Kept here, beside the other admin tests, because the tests/skinmap folder belongs to the CLI's owner.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest

from index.accounts import Accounts
from skinmap import admin_cli


def run(argv: list[str], data_dir: Path, stdin: str = "", monkeypatch=None) -> int:
    parser = argparse.ArgumentParser(prog="skinmap")
    admin_cli.add_admin_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return admin_cli.cmd_admin(args, data_dir)


def test_create_user_reads_the_password_from_stdin_and_hashes_it(tmp_path, monkeypatch, capsys):
    code = run(
        ["admin", "create-user", "Ada", "--role", "admin", "--password-stdin"],
        tmp_path,
        "ada-admin-passphrase\n",
        monkeypatch,
    )
    assert code == 0
    assert "created admin ada" in capsys.readouterr().out
    with Accounts.for_data_dir(tmp_path) as accounts:
        assert accounts.authenticate("ada", "ada-admin-passphrase").role == "admin"
    assert b"ada-admin-passphrase" not in (tmp_path / "accounts.sqlite3").read_bytes()


def test_create_user_prompts_twice_and_refuses_a_mismatch(tmp_path, monkeypatch, capsys):
    answers = iter(["first-passphrase", "second-passphrase"])
    monkeypatch.setattr(admin_cli.getpass, "getpass", lambda prompt: next(answers))
    assert run(["admin", "create-user", "eli", "--role", "editor"], tmp_path) == 2
    assert "differ" in capsys.readouterr().err
    with Accounts.for_data_dir(tmp_path) as accounts:
        assert accounts.users() == []


def test_create_user_with_a_prompted_password(tmp_path, monkeypatch):
    monkeypatch.setattr(admin_cli.getpass, "getpass", lambda prompt: "eli-editor-passphrase")
    assert run(["admin", "create-user", "eli", "--role", "editor"], tmp_path) == 0
    with Accounts.for_data_dir(tmp_path) as accounts:
        assert accounts.authenticate("eli", "eli-editor-passphrase").role == "editor"


def test_a_short_password_is_refused_with_a_clear_error(tmp_path, monkeypatch, capsys):
    code = run(
        ["admin", "create-user", "eli", "--role", "editor", "--password-stdin"],
        tmp_path,
        "short\n",
        monkeypatch,
    )
    assert code == 2
    assert "at least" in capsys.readouterr().err


def test_an_unknown_role_is_refused_by_the_parser(tmp_path):
    with pytest.raises(SystemExit):
        run(["admin", "create-user", "eli", "--role", "owner"], tmp_path)


def test_set_password_and_disable_user(tmp_path, monkeypatch, capsys):
    with Accounts.for_data_dir(tmp_path) as accounts:
        accounts.create_user("eli", "editor", "eli-editor-passphrase")
    code = run(
        ["admin", "set-password", "eli", "--password-stdin"],
        tmp_path,
        "a-new-eli-passphrase\n",
        monkeypatch,
    )
    assert code == 0
    assert run(["admin", "disable-user", "eli"], tmp_path) == 0
    with Accounts.for_data_dir(tmp_path) as accounts:
        assert accounts.get_user("eli").disabled
        assert accounts.authenticate("eli", "a-new-eli-passphrase") is None
    capsys.readouterr()
    assert run(["admin", "list-users"], tmp_path) == 0
    assert capsys.readouterr().out.split() == ["eli", "editor", "disabled"]


def test_changing_an_unknown_user_fails_cleanly(tmp_path, monkeypatch, capsys):
    assert run(["admin", "disable-user", "ghost"], tmp_path) == 2
    assert "no user" in capsys.readouterr().err
    code = run(
        ["admin", "set-password", "ghost", "--password-stdin"],
        tmp_path,
        "whatever-long\n",
        monkeypatch,
    )
    assert code == 2


@pytest.mark.slow
def test_the_skinmap_command_has_the_admin_sub_commands(tmp_path):
    """Once the lead wires `admin` into skinmap/cli.py, the real command works end to end."""
    from skinmap import cli

    if "admin" not in cli.COMMANDS:
        pytest.skip("skinmap/cli.py does not register `admin` yet")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "skinmap",
            "--data-dir",
            str(tmp_path),
            "admin",
            "create-user",
            "ada",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="ada-admin-passphrase\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "ada-admin-passphrase" not in completed.stdout + completed.stderr
    with Accounts.for_data_dir(tmp_path) as accounts:
        assert accounts.get_user("ada").role == "admin"
