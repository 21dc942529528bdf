"""Argument plumbing for the `skinmap` command: errors that name the subcommand, port and state
values, the free-port check, and the demo's quiet steps (child output to a log, one line each)."""

from __future__ import annotations

import argparse
import errno
import socket
import subprocess
import sys
import time
from pathlib import Path


def state_code(text: str) -> str | None:
    """'TX', 'tx', 'Texas', 'new  york' -> the USPS code; None for anything else."""
    # The crawler's table (it reads states off pages); imported here, not at start-up.
    from crawler.extract.normalise import STATE_NAMES, US_STATES

    words = " ".join(text.replace(".", " ").split()).upper()
    if words in US_STATES:
        return words
    return STATE_NAMES.get(words)


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1-65535, with a message that says so."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number 1-65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 1-65535, got {port}")
    return port


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors end in one line naming the (sub)command and its --help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def tag_subcommands(parser: argparse.ArgumentParser) -> None:
    """Remember on the namespace which (sub)parser read the command line, so arguments left over
    after parsing are reported by that subcommand rather than by the top-level parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.set_defaults(_parser=sub)
                tag_subcommands(sub)


def parse(parser: argparse.ArgumentParser, argv) -> argparse.Namespace:
    args, extra = parser.parse_known_args(argv)
    if extra:
        owner = getattr(args, "_parser", None) or parser
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


class PortInUse(OSError):
    """The port is taken; the message says how to choose another."""


def check_port_free(host: str, port: int, how_to_change: str) -> None:
    """Bind and release host:port now, before any slow work, so a taken port fails at once."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    # As uvicorn binds: a port in TIME_WAIT from an earlier run is free to use.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            reason = "is in use" if error.errno == errno.EADDRINUSE else "needs privileges"
            raise PortInUse(f"port {port} on {host} {reason}; {how_to_change}") from None
        raise PortInUse(
            f"cannot listen on {host}:{port} ({error.strerror}); {how_to_change}"
        ) from None
    finally:
        sock.close()


def run_quiet_step(argv: list[str], what: str, log_path: Path) -> float:
    """Run one demo step with its output in `log_path`; print one line before and one after.
    Returns the seconds it took; raises RuntimeError with the log's tail when it fails."""
    started = time.monotonic()
    print(f"-> {what} (log: {log_path})", flush=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        completed = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-5:]
        detail = "\n     ".join(tail)
        raise RuntimeError(
            f"{what} failed (exit {completed.returncode}); the end of {log_path}:\n     {detail}"
        )
    return time.monotonic() - started
