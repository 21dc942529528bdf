"""The config-driven directory spider: config validation, entry extraction, and a real crawl of a
fictional listing site whose practice websites then feed the practice spider."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.directories.config import (
    DirectoryConfigError,
    load_config,
    seeds_path,
    validate_config,
)
from crawler.directories.entries import (
    entries_from_page,
    entry_item,
    next_page_url,
    parse_listed_name,
    practice_website,
)
from crawler.extract.normalise import ROLES
from crawler.spiders.directory import write_seeds
from skinmap.cli import main
from tests.crawler.conftest import FIXTURES
from tests.crawler.crawl_helpers import REPO, crawl_runs, stored_observations
from tests.crawler.siteserver import SiteServers

EXAMPLE = REPO / "data" / "directories" / "example.json"
LISTING = FIXTURES / "directory"
SEEN = "2026-11-25T15:00:00Z"
DIRECTORY_URL = "http://127.0.0.1:8400/dermatologists/"
HARBOR_URL = "http://127.0.1.3:9000/"
GLOW_URL = "http://127.0.1.4:9001/"
QUICK = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"]


def _raw_example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _render(text: str, harbor: str = HARBOR_URL, glow: str = GLOW_URL) -> str:
    return text.replace("__HARBOR__", harbor).replace("__GLOW__", glow)


def _page(name: str) -> str:
    return _render((LISTING / "dermatologists" / name).read_text(encoding="utf-8"))


def _items(page_name: str) -> list:
    config = load_config(EXAMPLE)
    url = DIRECTORY_URL + page_name
    entries = entries_from_page(_page(page_name), config)
    return [entry_item(entry, url, DIRECTORY_URL, config, SEEN) for entry in entries]


# ---------------------------------------------------------------- config validation


def _with(**changes) -> dict:
    raw = _raw_example()
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def _with_fields(**changes) -> dict:
    raw = _raw_example()
    for key, value in changes.items():
        if value is None:
            raw["fields"].pop(key, None)
        else:
            raw["fields"][key] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (_with(name=None), "name"),
        (_with(name="Gulf Coast!"), "name"),
        (_with(start_urls=None), "start_urls"),
        (_with(start_urls="http://127.0.0.1:8400/"), "start_urls"),
        (_with(start_urls=["ftp://127.0.0.1/list"]), "start_urls[0]"),
        (_with(allowed_hosts=["elsewhere.test"]), "start_urls[0]"),
        (_with(allowed_hosts=["not a host/"]), "allowed_hosts[0]"),
        (_with(listing=None), "listing"),
        (_with(listing="li["), "listing"),
        (_with(fields=["h3"]), "fields"),
        (_with(next_pgae="a.next"), "next_pgae"),
        (_with(next_page="a::nonsense"), "next_page"),
        (_with(max_pages=0), "max_pages"),
        (_with(max_pages="3"), "max_pages"),
        (_with(max_pages=True), "max_pages"),
        (_with(max_pages=100000), "max_pages"),
        (_with_fields(name=None), "fields.name"),
        (_with_fields(fone="a.phone"), "fields.fone"),
        (_with_fields(city=".city"), "fields.city"),
        (_with_fields(phone=""), "fields.phone"),
        (_with_fields(website="a.website::attr(href"), "fields.website"),
    ],
)
def test_each_bad_config_key_is_named_in_the_error(raw, named):
    with pytest.raises(DirectoryConfigError) as caught:
        validate_config(raw)
    assert str(caught.value).startswith(f"{named}:")


def test_a_config_that_is_not_an_object_is_refused():
    with pytest.raises(DirectoryConfigError, match="must be an object"):
        validate_config(["name"])


def test_the_example_config_is_valid_with_defaults_filled_in():
    config = load_config(EXAMPLE)
    assert config.name == "gulf-coast-skin-guide"
    assert config.allowed_hosts == ("127.0.0.1:8400",)
    assert config.max_pages == 3


def test_a_toml_config_reads_like_the_json_one(tmp_path):
    path = tmp_path / "guide.toml"
    path.write_text(
        'name = "guide"\nstart_urls = ["https://dir.test/list"]\nlisting = "li"\n'
        'max_pages = 2\n[fields]\nname = "h3::text"\nwebsite = "a::attr(href)"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.fields == {"name": "h3::text", "website": "a::attr(href)"}
    assert config.allowed_hosts == ("dir.test",) and config.next_page is None


def test_unreadable_or_broken_config_files_say_which_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(DirectoryConfigError, match="broken.json is not valid"):
        load_config(broken)
    with pytest.raises(DirectoryConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.json")
    bad_key = tmp_path / "bad.json"
    bad_key.write_text(json.dumps(_with(max_pages=-1)), encoding="utf-8")
    with pytest.raises(DirectoryConfigError, match=r"bad.json: max_pages:"):
        load_config(bad_key)


def test_the_cli_shows_a_config_error_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_with_fields(fone="a.phone")), encoding="utf-8")
    argv = ["--data-dir", str(tmp_path / "data"), "crawl", "directory", "--config"]
    assert main([*argv, str(bad)]) == 2
    assert "fields.fone: unknown field" in capsys.readouterr().err
    assert main([*argv, str(tmp_path / "nope.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "data" / "store.sqlite3").exists()  # no crawl run was recorded


# ---------------------------------------------------------------- extraction


def test_entries_become_directory_practitioners_with_parsed_names_and_locations():
    cara, sponsored, rosa, ana = _items("index.html")
    assert sponsored is None  # an advert has no first and last name
    assert cara.source == "directory" and cara.kind == "practitioner"
    assert cara.source_key == "http://127.0.0.1:8400/dermatologists/#cara holt"
    assert (cara.name, cara.first_name, cara.last_name) == ("Cara Holt", "Cara", "Holt")
    assert cara.credentials == ["MD", "FACS"] and cara.role == "physician" and cara.is_physician
    assert cara.specialties == ["plastic-surgery"]
    assert cara.website == HARBOR_URL
    assert cara.profile_url == "http://127.0.0.1:8400/profiles/cara-holt.html"
    assert cara.locations == [
        {
            "practice": "Harbor Plastic Surgery",
            "street": "4 Pier Road",
            "city": "Portland",
            "state": "ME",
            "postal_code": "04101",
            "phone": "+12075550177",
            "lat": None,
            "lon": None,
        }
    ]
    assert cara.evidence == []  # a listing is no evidence of microneedling
    assert (ana.name, ana.middle_name, ana.credentials) == ("Ana M. Ruiz", "M.", ["MD", "FAAD"])
    assert ana.locations[0]["postal_code"] == "83702"  # ZIP+4 cut to five digits
    assert ana.website == GLOW_URL  # tracking parameters dropped


def test_a_nurse_is_recorded_but_is_not_a_physician():
    rosa = _items("index.html")[2]
    assert (rosa.name, rosa.credentials, rosa.role) == ("Rosa Vance", ["RN"], "nurse")
    assert rosa.is_physician is False
    assert rosa.website is None
    assert rosa.to_observation().validate() is None


def test_only_outside_http_sites_count_as_practice_websites():
    ivan, omar = _items("page-2.html")
    [lena] = _items("page-3.html")
    assert (ivan.name, ivan.credentials, ivan.specialties) == (
        "Ivan Marsh",
        ["DO"],
        ["mohs-surgery", "dermatology"],
    )
    assert omar.website is None  # mailto: is not a website
    assert lena.website is None  # "/go/lena-ortiz" is the directory's own page
    # No street recognised: the place still comes from the address's last line.
    assert (omar.locations[0]["city"], omar.locations[0]["postal_code"]) == ("Portland", "04102")
    config = load_config(EXAMPLE)
    assert practice_website("https://clinic.test/about", DIRECTORY_URL, config) == (
        "https://clinic.test/about"
    )
    assert practice_website("//clinic.test/", "https://127.0.0.1:8400/x", config) == (
        "https://clinic.test/"
    )
    assert practice_website("javascript:void(0)", DIRECTORY_URL, config) is None


@pytest.mark.parametrize(
    ("name", "credentials", "expected"),
    [
        ("Dr. Cara Holt", "MD, FACS", ("Cara Holt", ["MD", "FACS"], "physician")),
        ("Rosa Vance RN", None, ("Rosa Vance", ["RN"], "nurse")),
        ("Kim Le", None, ("Kim Le", [], "other")),  # "Le" is a surname, not LE
        ("SAMUEL BRIGHT, M.D.", None, ("Samuel Bright", ["MD"], "physician")),
        ("Jon Park, Jr., DO", None, ("Jon Park", ["DO"], "physician")),
        ("Mia Castillo", "Licensed Aesthetician", ("Mia Castillo", [], "aesthetician")),
        ("Hailey Dunn (PA-C)", None, ("Hailey Dunn", ["PA-C"], "physician_assistant")),
        ("Dr. Sam Reyes", None, ("Sam Reyes", [], "other")),  # "Dr." alone proves no MD/DO
        ("Holt, Cara, MD", None, ("Cara Holt", ["MD"], "physician")),
        ("OKAFOR, BEN A", "D.O.", ("Ben A Okafor", ["DO"], "physician")),
    ],
)
def test_listed_names_split_into_name_credentials_and_role(name, credentials, expected):
    person = parse_listed_name(name, credentials)
    assert (person.name, person.credentials, person.role) == expected
    assert person.is_physician == (expected[2] == "physician")


def test_a_suffix_is_kept_apart_from_the_name():
    person = parse_listed_name("Jon Park, Jr., DO")
    assert (person.first_name, person.last_name, person.suffix) == ("Jon", "Park", "Jr.")


@pytest.mark.parametrize("text", [None, "", "Sponsored", "Dr. Smith", "MD, FAAD", "123 456"])
def test_text_without_a_first_and_last_name_is_no_person(text):
    assert parse_listed_name(text) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.one_of(st.none(), st.text(max_size=30)))
def test_any_listed_text_parses_to_no_person_or_a_consistent_one(name, credentials):
    person = parse_listed_name(name, credentials)
    if person is None:
        return
    assert person.role in ROLES and person.is_physician == (person.role == "physician")
    assert len(person.name.split()) >= 2
    assert person.name.split()[0] == person.first_name
    assert person.name.split()[-1] == person.last_name
    assert "," not in person.name


def test_the_next_page_link_is_followed_only_within_allowed_hosts():
    config = load_config(EXAMPLE)
    assert next_page_url(_page("index.html"), DIRECTORY_URL + "index.html", config) == (
        DIRECTORY_URL + "page-2.html"
    )
    assert next_page_url(_page("page-4.html"), DIRECTORY_URL + "page-4.html", config) is None
    offsite = '<a rel="next" href="http://elsewhere.test/page-2.html">Next</a>'
    assert next_page_url(offsite, DIRECTORY_URL, config) is None
    no_selector = validate_config(_with(next_page=None))
    assert next_page_url(_page("index.html"), DIRECTORY_URL, no_selector) is None


def test_seeds_are_written_sorted_and_once_each(tmp_path):
    path = seeds_path(tmp_path, "guide")
    assert path == tmp_path / "crawls" / "directory-guide-seeds.txt"
    write_seeds(path, ["http://b.test/", "http://a.test/", "http://b.test/"])
    assert path.read_text(encoding="utf-8") == "http://a.test/\nhttp://b.test/\n"


# ---------------------------------------------------------------- real crawls (CLI subprocess)


def _skinmap(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), "crawl", *args, *QUICK],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The fictional directory, Harbor and Glow served on loopback; a directory crawl with the
    example config, then a practices crawl of the seeds it wrote."""
    root = tmp_path_factory.mktemp("web")
    (root / "skinlist").mkdir()
    shutil.copytree(FIXTURES / "sites" / "harbor", root / "harbor")
    shutil.copytree(FIXTURES / "sites" / "glow", root / "glow")
    servers = SiteServers(root, ["skinlist", "harbor", "glow"])
    sites = servers.sites
    try:
        # The listing links to the practice sites' real (free) ports, known only now.
        for source in LISTING.rglob("*"):
            target = root / "skinlist" / source.relative_to(LISTING)
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(
                    _render(source.read_text(), sites["harbor"].url, sites["glow"].url)
                )
        raw = _raw_example()
        base = sites["skinlist"].url.rstrip("/")
        raw["start_urls"] = [base + urlsplit(url).path for url in raw["start_urls"]]
        config = root / "config.json"
        config.write_text(json.dumps(raw), encoding="utf-8")
        data_dir = tmp_path_factory.mktemp("data")
        directory = _skinmap(data_dir, "directory", "--config", str(config), "--resume")
        directory_obs = stored_observations(data_dir)
        harbor_before = list(sites["harbor"].requests)
        seeds = seeds_path(data_dir, raw["name"])
        practices = _skinmap(data_dir, "practices", "--seeds", str(seeds))
        listing_requests = len(sites["skinlist"].requests)
        seeds.unlink()
        resumed = _skinmap(data_dir, "directory", "--config", str(config), "--resume")
        resumed_requests = sites["skinlist"].requests[listing_requests:]
    finally:
        servers.close()
    return {
        "sites": sites,
        "data_dir": data_dir,
        "directory": directory,
        "directory_obs": directory_obs,
        "harbor_before": harbor_before,
        "seeds": seeds,
        "practices": practices,
        "resumed": resumed,
        "resumed_requests": resumed_requests,
    }


@pytest.mark.slow
def test_directory_crawl_stores_every_named_entry_as_a_directory_observation(crawled):
    assert crawled["directory"].returncode == 0, crawled["directory"].stderr[-3000:]
    observations = crawled["directory_obs"]
    assert {o.source for o in observations} == {"directory"}
    people = {o.payload["name"]: o.payload for o in observations}
    assert sorted(people) == [
        "Ana M. Ruiz",
        "Cara Holt",
        "Ivan Marsh",
        "Lena Ortiz",
        "Omar Bell",
        "Rosa Vance",
    ]
    assert people["Rosa Vance"]["is_physician"] is False
    assert people["Rosa Vance"]["role"] == "nurse"
    assert people["Cara Holt"]["locations"][0]["phone"] == "+12075550177"
    listing = crawled["sites"]["skinlist"].url + "dermatologists/"
    assert {o.source_key for o in observations} == {
        f"{listing}#{key}"
        for key in (
            "ana m ruiz",
            "cara holt",
            "ivan marsh",
            "lena ortiz",
            "omar bell",
            "rosa vance",
        )
    }
    assert "practice websites in" in crawled["directory"].stdout


@pytest.mark.slow
def test_directory_crawl_follows_next_links_up_to_max_pages_and_obeys_robots(crawled):
    requests = crawled["sites"]["skinlist"].requests[: -len(crawled["resumed_requests"]) or None]
    assert requests[0] == "/robots.txt"
    for page in ("/dermatologists/", "/dermatologists/page-2.html", "/dermatologists/page-3.html"):
        assert requests.count(page) == 1
    assert "/dermatologists/page-4.html" not in requests  # max_pages is 3
    assert not any(path.startswith("/members/") for path in requests)  # robots.txt disallows
    assert not any(path.startswith(("/profiles/", "/go/")) for path in requests)
    run = crawl_runs(crawled["data_dir"])[0]
    assert run.source == "directory" and run.status == "finished"
    assert run.stats["directory/pages"] == 3
    assert run.stats["directory/entries"] == 6
    assert run.stats["directory/websites"] == 2
    assert run.stats["directory/max_pages_reached"] == 1


@pytest.mark.slow
def test_the_seeds_file_lists_each_practice_website_once_sorted(crawled):
    sites = crawled["sites"]
    assert crawled["seeds"].read_text(encoding="utf-8").splitlines() == sorted(
        [sites["harbor"].url, sites["glow"].url]
    )
    assert crawled["harbor_before"] == []  # the directory crawl itself never visits practices


@pytest.mark.slow
def test_the_seeds_feed_the_practice_spider(crawled):
    assert crawled["practices"].returncode == 0, crawled["practices"].stderr[-3000:]
    harbor = crawled["sites"]["harbor"]
    assert "/" in harbor.requests
    runs = crawl_runs(crawled["data_dir"])
    assert sorted(run.source for run in runs) == ["directory", "directory", "practices"]
    site_obs = [o for o in stored_observations(crawled["data_dir"]) if o.source == "practice_site"]
    practices = {o.payload["name"] for o in site_obs if o.kind == "practice"}
    assert practices == {"Harbor Plastic Surgery", "Glow Skin Studio"}
    doctors = {o.source_key for o in site_obs if o.kind == "practitioner"}
    assert doctors == {f"{harbor.url}#cara holt"}


@pytest.mark.slow
def test_a_resumed_directory_crawl_keeps_the_websites_of_pages_read_before(crawled):
    assert crawled["resumed"].returncode == 0, crawled["resumed"].stderr[-3000:]
    # Every listing page was read by the first run (the job directory remembers them) ...
    assert not any(path.startswith("/dermatologists/") for path in crawled["resumed_requests"])
    # ... yet the seeds file is written again from the websites the job state kept.
    sites = crawled["sites"]
    assert crawled["seeds"].read_text(encoding="utf-8").splitlines() == sorted(
        [sites["harbor"].url, sites["glow"].url]
    )
