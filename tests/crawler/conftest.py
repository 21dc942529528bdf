"""Shared fixtures for the crawler tests: the real public data samples and the fixture pages."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """/work/shared/realdata (skips the test when the samples are not there)."""
    if not REALDATA.is_dir():
        pytest.skip("real data samples not present")
    return REALDATA.resolve()


def fixture_page(*parts: str) -> str:
    """The text of a fixture file under tests/crawler/fixtures."""
    return FIXTURES.joinpath(*parts).read_text(encoding="utf-8")
