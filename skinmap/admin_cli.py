"""`skinmap admin ...`: create back-office users, set their passwords, disable them.

Passwords are prompted for (twice, without echo) or read from standard input with --password-stdin,
never taken as arguments (they would land in shell history and `ps`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from index.accounts import ROLES, AccountError, Accounts


class AdminCommandError(Exception):
    """A user-fixable failure of an admin command; printed as `skinmap: error: ...`."""


def add_admin_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `admin` and its sub-commands on the main parser's subparsers."""
    admin = subparsers.add_parser(
        "admin",
        help="manage back-office users (admins manage users; editors curate listings)",
        description="Users live in DATA_DIR/accounts.sqlite3, apart from the public data.",
    )
    actions = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")

    def add_password_source(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input instead of prompting",
        )

    create = actions.add_parser("create-user", help="add a user (password prompted)")
    create.add_argument("name", help="user name (letters, digits, . _ - @)")
    create.add_argument("--role", required=True, choices=ROLES, help="admin or editor")
    add_password_source(create)

    password = actions.add_parser(
        "set-password", help="change a user's password (ends their sessions)"
    )
    password.add_argument("name", help="the user whose password changes")
    add_password_source(password)

    disable = actions.add_parser(
        "disable-user", help="stop a user signing in (ends their sessions)"
    )
    disable.add_argument("name", help="the user to disable")

    enable = actions.add_parser("enable-user", help="let a disabled user sign in again")
    enable.add_argument("name", help="the user to enable")

    actions.add_parser("list-users", help="list users with their role and status")
    return admin


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise AdminCommandError("--password-stdin was given but standard input is empty")
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password again: ")
    if first != second:
        raise AdminCommandError("the two passwords differ; nothing was changed")
    return first


def cmd_admin(args: argparse.Namespace, data_dir: Path) -> int:
    accounts = Accounts.for_data_dir(Path(data_dir))
    try:
        command = args.admin_command
        if command == "create-user":
            password = read_password(args.password_stdin)
            user = accounts.create_user(args.name, args.role, password)
            print(f"created {user.role} {user.name}")
        elif command == "set-password":
            if accounts.get_user(args.name) is None:
                raise AdminCommandError(f"no user named {args.name!r}")
            accounts.set_password(args.name, read_password(args.password_stdin))
            print(f"password changed for {args.name}; their sessions were ended")
        elif command == "disable-user":
            accounts.set_disabled(args.name, True)
            print(f"disabled {args.name}; their sessions were ended")
        elif command == "enable-user":
            accounts.set_disabled(args.name, False)
            print(f"enabled {args.name}")
        elif command == "list-users":
            users = accounts.users()
            if not users:
                print("no users yet; add one with `skinmap admin create-user NAME --role admin`")
            for user in users:
                print(f"{user.name:<24} {user.role:<7} {'disabled' if user.disabled else 'active'}")
        else:  # argparse's `choices` makes this unreachable from the command line
            raise AdminCommandError(f"unknown admin command {command!r}")
    except (AccountError, AdminCommandError) as error:
        print(f"skinmap: error: {error}", file=sys.stderr)
        return 2
    finally:
        accounts.close()
    return 0
