"""The CLI contract: argument checks fail with a clear message; every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skinmap import cli, settings
from skinmap.cli_args import state_code

REPO = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for setting in settings.SETTINGS:
        assert f"`{setting.name}`" in readme, f"{setting.name} missing from the README"


def test_every_command_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for command in cli.COMMANDS:
        assert re.search(rf"skinmap [^\n]*{command}", readme), command


def test_scrapy_settings_pass_through_as_name_value_pairs():
    assert cli._parse_scrapy_settings(["DOWNLOAD_DELAY=2", "X=a=b"]) == {
        "DOWNLOAD_DELAY": "2",
        "X": "a=b",
    }


@pytest.mark.parametrize("bad", ["DOWNLOAD_DELAY", "=3", ""])
def test_a_malformed_scrapy_setting_is_a_clear_error(bad):
    with pytest.raises(cli.CommandError, match="NAME=VALUE"):
        cli._parse_scrapy_settings([bad])


def test_a_bad_state_is_refused_before_crawling(tmp_path, capsys):
    status = cli.main(["--data-dir", str(tmp_path), "crawl", "nppes", "--state", "Texass"])
    assert status == 2
    assert "US state codes or names (TX or Texas), got Texass" in capsys.readouterr().err
    assert not (tmp_path / "store.sqlite3").exists()


@pytest.mark.parametrize(
    ("typed", "code"),
    [("TX", "TX"), ("tx", "TX"), ("Texas", "TX"), ("new  york", "NY"), ("D.C.", None)],
)
def test_states_are_read_as_codes_or_names(typed, code):
    assert state_code(typed) == code
    assert state_code("District of Columbia") == "DC"


def test_practices_crawl_needs_a_start(tmp_path, capsys):
    status = cli.main(["--data-dir", str(tmp_path), "crawl", "practices"])
    assert status == 2
    assert "--start-url" in capsys.readouterr().err


def test_data_dir_comes_from_flag_then_environment(tmp_path):
    assert settings.data_dir(str(tmp_path)) == tmp_path.resolve()
    env = {"SKINMAP_DATA_DIR": str(tmp_path / "x")}
    assert settings.data_dir(None, env) == (tmp_path / "x").resolve()
