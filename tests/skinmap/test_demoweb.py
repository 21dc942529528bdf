"""Tests for the bundled demo web: static sites, ground truth, NPPES fixtures and the NPI API emulator."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest
import zipcodes

from skinmap.demoweb import (
    DEFAULT_ROOT,
    TAXONOMY_DESCRIPTIONS,
    encode_npi_body,
    load_npi_records,
    npi_check_digit,
    npi_is_valid,
    npi_search,
    resolve_static_path,
    start_demo_web,
)

REPO = Path(__file__).resolve().parents[2]
REALDATA = REPO / ".." / "shared" / "realdata" / "npi_api"
TRUTH = json.loads((DEFAULT_ROOT / "truth.json").read_text(encoding="utf-8"))["sites"]
RECORDS = load_npi_records(DEFAULT_ROOT / "nppes.json")
SITES_DIR = DEFAULT_ROOT / "sites"


def realdata(name: str) -> Path:
    path = REALDATA / name
    if not path.exists():
        pytest.skip(f"real sample {name} not available")
    return path


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def visible_text(html_text: str) -> str:
    collector = _TextCollector()
    collector.feed(html_text)
    return " ".join(" ".join(collector.chunks).split())


def public_pages(slug: str) -> dict[str, str]:
    """Visible text of every page of a site that a polite crawler may fetch."""
    site = SITES_DIR / slug
    return {
        str(path.relative_to(site)): visible_text(path.read_text(encoding="utf-8"))
        for path in sorted(site.rglob("*.html"))
        if not str(path.relative_to(site)).startswith("private/")
    }


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        content_type = error.headers["Content-Type"]
        error.close()
        return error.code, content_type, body


def raw_get(url: str, raw_path: str) -> int:
    """GET a path byte for byte (urllib would not, but an attacker would)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("GET", raw_path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def npi_get(web, **params: object) -> dict:
    status, content_type, body = fetch(web.npi_api_url + "?" + urlencode(params))
    assert status == 200
    assert content_type == "application/json"
    return json.loads(body)


@pytest.fixture(scope="module")
def web():
    with start_demo_web() as running:
        yield running


# ---------------------------------------------------------------- servers


def test_every_site_serves_its_index_page_as_utf8_html(web):
    names = {site["slug"]: site["practice_name"] for site in TRUTH}
    assert {site.slug for site in web.sites} == set(names)
    for site in web.sites:
        status, content_type, body = fetch(site.url)
        assert status == 200, site.url
        assert content_type == "text/html; charset=utf-8"
        assert names[site.slug] in visible_text(body)


def test_site_k_listens_on_its_own_loopback_ip_and_urls_end_with_a_slash(web):
    for k, site in enumerate(web.sites, start=1):
        assert urlsplit(site.url).hostname == f"127.0.1.{k}"
        assert site.url.endswith("/")
    assert urlsplit(web.npi_api_url).hostname == "127.0.2.1"


def test_robots_txt_is_served_where_it_exists_and_is_404_where_it_does_not(web):
    disallowed = {site["slug"]: site["robots_disallowed_paths"] for site in TRUTH}
    seen_absent = False
    for site in web.sites:
        status, content_type, body = fetch(site.url + "robots.txt")
        if (SITES_DIR / site.slug / "robots.txt").exists():
            assert status == 200
            assert content_type == "text/plain; charset=utf-8"
            rules = re.findall(r"^Disallow:\s*(\S+)", body, flags=re.MULTILINE)
            assert rules == disallowed[site.slug]
        else:
            seen_absent = True
            assert status == 404
            assert disallowed[site.slug] == []
    assert seen_absent


def test_a_missing_page_is_404(web):
    status, _, _ = fetch(web.sites[0].url + "no-such-page.html")
    assert status == 404


@pytest.mark.parametrize(
    "raw_path",
    [
        "/../truth.json",
        "/../../nppes.json",
        "/%2e%2e/%2e%2e/truth.json",
        "/..%2f..%2ftruth.json",
        "/team/..%5c..%5c..%5ctruth.json",
        "//etc/passwd",
    ],
)
def test_path_traversal_is_refused(web, raw_path):
    assert raw_get(web.sites[0].url, raw_path) == 404


def test_a_symlink_out_of_the_site_is_not_followed(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("home", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (site / "leak.txt").symlink_to(tmp_path / "secret.txt")
    assert resolve_static_path(site, "/") == (site / "index.html").resolve()
    assert resolve_static_path(site, "/leak.txt") is None


def test_a_disallowed_trap_page_exists_and_is_linked_so_a_rude_crawler_would_find_it(web):
    trapped = [site for site in TRUTH if site["robots_disallowed_paths"]]
    assert len(trapped) >= 3
    urls = {site.slug: site.url for site in web.sites}
    for site in trapped:
        _, _, index = fetch(urls[site["slug"]])
        for prefix in site["robots_disallowed_paths"]:
            links = re.findall(r'href="(' + re.escape(prefix.lstrip("/")) + r'[^"]*)"', index)
            assert links, site["slug"]
            status, _, body = fetch(urls[site["slug"]] + links[0])
            assert status == 200
            assert "Robot Trap" in body


# ---------------------------------------------------------------- ground truth vs pages


def test_the_demo_web_covers_the_required_variety():
    assert len(TRUTH) >= 22
    metros = {(loc["city"], loc["state"]) for site in TRUTH for loc in site["locations"]}
    assert len(metros) >= 5
    assert len({state for _, state in metros}) >= 3
    kinds = Counter(site["kind"] for site in TRUTH)
    for kind in (
        "dermatology",
        "plastic-surgery",
        "cosmetic-surgery",
        "facial-plastic-surgery",
        "oculoplastic-surgery",
        "mohs-surgery",
        "med-spa",
    ):
        assert kinds[kind] >= 1, kind
    assert any(s["kind"] == "med-spa" and not s["physicians"] for s in TRUTH)
    offering = sum(site["offers_microneedling"] is True for site in TRUTH)
    assert 0.5 <= offering / len(TRUTH) <= 0.7
    assert any(site["offers_microneedling"] is False for site in TRUTH)
    assert any(site["offers_microneedling"] is None for site in TRUTH)
    assert any(len(site["locations"]) == 2 for site in TRUTH)


def test_every_zip_in_truth_is_a_real_zip_of_the_stated_city_and_state():
    for site in TRUTH:
        for location in site["locations"]:
            matches = zipcodes.matching(location["postal_code"])
            assert matches, location
            assert matches[0]["state"] == location["state"]
            assert matches[0]["city"].lower() == location["city"].lower()


def test_every_phone_is_a_fictional_555_01xx_number():
    pattern = re.compile(r"^\+1\d{3}55501\d{2}$")
    for site in TRUTH:
        for location in site["locations"]:
            assert pattern.match(location["phone_e164"]), location
    for path in SITES_DIR.rglob("*.html"):
        for phone in re.findall(r"\(\d{3}\) \d{3}-\d{4}", path.read_text(encoding="utf-8")):
            assert phone[6:11] == "555-0" and phone[11] == "1", (path, phone)
    for record in RECORDS:
        for address in record["addresses"]:
            if "telephone_number" in address:
                assert re.match(r"^\d{3}-555-01\d{2}$", address["telephone_number"]), address


def test_every_evidence_phrase_is_verbatim_on_a_page_a_polite_crawler_may_fetch():
    for site in TRUTH:
        text = " ".join(public_pages(site["slug"]).values())
        if site["offers_microneedling"] is None:
            assert site["evidence_phrases"] == []
            assert "microneedling" not in text.lower().replace("-", ""), site["slug"]
        else:
            assert site["evidence_phrases"], site["slug"]
        for phrase in site["evidence_phrases"]:
            assert phrase in text, (site["slug"], phrase)
        if site["price"]:
            assert site["price"].removeprefix("from ") in text


def test_every_person_location_and_phone_in_truth_appears_on_the_site():
    for site in TRUTH:
        text = " ".join(public_pages(site["slug"]).values())
        assert site["practice_name"] in text
        for person in site["physicians"] + site["non_physician_staff"]:
            assert person["name"] in text, person
        for location in site["locations"]:
            digits = location["phone_e164"][2:]
            assert f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" in text
            assert location["street"] in text
            assert location["postal_code"] in text


def test_truth_uses_only_contract_specialty_slugs_and_roles():
    slugs = {
        "dermatology",
        "mohs-surgery",
        "plastic-surgery",
        "facial-plastic-surgery",
        "cosmetic-surgery",
        "oculoplastic-surgery",
    }
    roles = {"physician_assistant", "nurse_practitioner", "nurse", "aesthetician", "other"}
    for site in TRUTH:
        for physician in site["physicians"]:
            assert physician["specialties"] and set(physician["specialties"]) <= slugs
            assert not physician["name"].startswith("Dr")
        for member in site["non_physician_staff"]:
            assert member["role"] in roles


# ---------------------------------------------------------------- NPPES fixtures


def test_npi_check_digit_agrees_with_real_npis():
    for real in ("1114382983", "1508906702", "1295729051"):
        assert npi_check_digit(real[:9]) == real[9]
        assert npi_is_valid(real)
        wrong = real[:9] + str((int(real[9]) + 1) % 10)
        assert not npi_is_valid(wrong)


def test_every_npi_in_nppes_json_has_a_valid_check_digit_and_is_unique():
    numbers = [record["number"] for record in RECORDS]
    assert len(numbers) == len(set(numbers))
    assert all(npi_is_valid(number) for number in numbers)


def test_the_nppes_fixture_holds_the_special_cases():
    assert 28 <= len(RECORDS) <= 45
    assert any(r["basic"]["status"] != "A" for r in RECORDS)
    assert any(r["enumeration_type"] == "NPI-2" for r in RECORDS)
    assert any(t["desc"] is None for r in RECORDS for t in r["taxonomies"])
    nurse_practitioners = [
        r for r in RECORDS if any(t["code"].startswith("363L") for t in r["taxonomies"])
    ]
    assert any(
        "plastic" in (t["desc"] or "").lower() for r in nurse_practitioners for t in r["taxonomies"]
    )
    assert any(
        a["address_purpose"] == "MAILING" and a["address_1"].startswith("PO BOX")
        for r in RECORDS
        for a in r["addresses"]
    )
    lengths = {len(a["postal_code"]) for r in RECORDS for a in r["addresses"]}
    assert lengths == {5, 9}


def test_every_physician_with_an_npi_is_in_nppes_with_the_same_last_name_and_a_site_zip():
    by_number = {record["number"]: record for record in RECORDS}
    checked = 0
    for site in TRUTH:
        site_zips = {location["postal_code"] for location in site["locations"]}
        for physician in site["physicians"]:
            if physician["npi"] is None:
                continue
            record = by_number[physician["npi"]]
            assert record["basic"]["last_name"] == physician["name"].split()[-1].upper()
            location_zips = {
                a["postal_code"][:5]
                for a in record["addresses"]
                if a["address_purpose"] == "LOCATION"
            }
            assert location_zips & site_zips, physician
            checked += 1
    assert checked >= 20
    assert any(p["npi"] is None for site in TRUTH for p in site["physicians"])


# ---------------------------------------------------------------- NPI API emulator


def test_the_no_criteria_error_is_byte_identical_to_the_real_api():
    real = realdata("npi_v21_2026_raw_compact_error_04_no_valid_criteria.json").read_bytes()
    assert encode_npi_body(npi_search(RECORDS, {"version": "2.1"})) == real


def test_the_emulator_answers_errors_over_http_with_status_200(web):
    body = npi_get(web, version="2.1")
    assert body["Errors"][0]["number"] == "04"
    assert list(body["Errors"][0]) == ["description", "field", "number"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"version": "2.1", "last_name": "Ruiz", "limit": "201"}, "limit"),
        ({"version": "2.1", "last_name": "Ruiz", "limit": "0"}, "limit"),
        ({"version": "2.1", "last_name": "Ruiz", "skip": "1001"}, "skip"),
        ({"version": "2.1", "last_name": "Ruiz", "limit": "ten"}, "limit"),
        ({"last_name": "Ruiz"}, "version"),
        ({"version": "2.0", "last_name": "Ruiz"}, "version"),
        ({"version": "2.1", "enumeration_type": "NPI-1"}, "enumeration_type"),
        ({"version": "2.1", "state": "TX"}, "state"),
    ],
)
def test_invalid_queries_get_an_errors_body(params, field):
    body = npi_search(RECORDS, params)
    assert set(body) == {"Errors"}
    assert body["Errors"][0]["field"] == field


def test_limit_200_and_skip_1000_are_still_allowed():
    body = npi_search(
        RECORDS, {"version": "2.1", "taxonomy_description": "derm", "limit": "200", "skip": "1000"}
    )
    assert body == {"result_count": 0, "results": []}


def test_pages_of_limit_and_skip_tile_the_full_result_without_overlap(web):
    everything = npi_get(web, version="2.1", taxonomy_description="dermatology", limit=200)
    numbers = [record["number"] for record in everything["results"]]
    assert len(numbers) > 10
    assert everything["result_count"] == len(numbers)
    paged: list[str] = []
    for skip in range(0, len(numbers) + 3, 3):
        page = npi_get(web, version="2.1", taxonomy_description="dermatology", limit=3, skip=skip)
        assert page["result_count"] == len(page["results"]) <= 3
        paged += [record["number"] for record in page["results"]]
    assert paged == numbers
    default = npi_get(web, version="2.1", taxonomy_description="dermatology")
    assert default["result_count"] == 10


def test_taxonomy_description_is_a_case_insensitive_substring_of_any_taxonomy(web):
    body = npi_get(web, version="2.1", taxonomy_description="PLASTIC", limit=200)
    assert body["result_count"] > 5
    for record in body["results"]:
        assert any(
            "plastic" in (t["desc"] or TAXONOMY_DESCRIPTIONS[t["code"]]).lower()
            for t in record["taxonomies"]
        )
    last_names = {record["basic"].get("last_name") for record in body["results"]}
    assert "HARLAN" in last_names  # a nurse practitioner with a plastic-surgery nursing taxonomy
    assert "HADDAD" in last_names  # null desc in the response, found by his code's description


def test_state_filter_matches_any_address_unless_a_purpose_is_given(web):
    query = {"version": "2.1", "taxonomy_description": "Dermatology", "limit": 200}
    texas = npi_get(web, **query, state="tx", address_purpose="LOCATION")
    colorado = npi_get(web, **query, state="CO", address_purpose="LOCATION")
    assert texas["result_count"] and colorado["result_count"]
    for body, state in ((texas, "TX"), (colorado, "CO")):
        for record in body["results"]:
            assert any(
                a["state"] == state and a["address_purpose"] == "LOCATION"
                for a in record["addresses"]
            )
    texas_numbers = {r["number"] for r in texas["results"]}
    assert texas_numbers.isdisjoint(r["number"] for r in colorado["results"])
    # Without a purpose a Colorado doctor whose MAILING address is a Texas PO box matches TX too.
    any_texas = npi_get(web, **query, state="TX")
    assert texas_numbers < {r["number"] for r in any_texas["results"]}


def test_postal_code_is_a_prefix_match_with_optional_wildcard():
    exact = npi_search(RECORDS, {"version": "2.1", "postal_code": "78701", "limit": "200"})
    wildcard = npi_search(RECORDS, {"version": "2.1", "postal_code": "787*", "limit": "200"})
    assert exact["result_count"] >= 2
    assert {r["number"] for r in exact["results"]} < {r["number"] for r in wildcard["results"]}


def test_names_match_whole_case_insensitively_or_by_trailing_wildcard():
    assert npi_search(RECORDS, {"version": "2.1", "last_name": "ruiz"})["result_count"] == 1
    assert npi_search(RECORDS, {"version": "2.1", "last_name": "rui"})["result_count"] == 0
    assert npi_search(RECORDS, {"version": "2.1", "last_name": "rui*"})["result_count"] == 1


def test_number_lookup_returns_the_record_and_org_search_finds_the_npi2():
    number = RECORDS[0]["number"]
    body = npi_search(RECORDS, {"version": "2.1", "number": number})
    assert [r["number"] for r in body["results"]] == [number]
    orgs = npi_search(
        RECORDS, {"version": "2.1", "organization_name": "bayou*", "enumeration_type": "NPI-2"}
    )
    assert orgs["result_count"] == 1
    assert orgs["results"][0]["enumeration_type"] == "NPI-2"


def test_responses_have_the_keys_and_encoding_of_the_real_2026_api(web):
    real = json.loads(
        realdata("npi_v21_2026_raw_compact_name_search_1_result.json").read_text(encoding="utf-8")
    )
    real_org = json.loads(
        realdata("npi_v21_2026_raw_compact_org_search_npi2.json").read_text(encoding="utf-8")
    )
    real_page = json.loads(
        realdata("npi_v21_2026_individuals_200.json").read_text(encoding="utf-8")
    )
    real_basic_keys = {k for r in real_page["results"] for k in r["basic"]}
    real_address_keys = {k for r in real_page["results"] for a in r["addresses"] for k in a}
    real_taxonomy_keys = set(real["results"][0]["taxonomies"][0])

    raw = urllib.request.urlopen(
        web.npi_api_url + "?version=2.1&taxonomy_description=surgery&limit=200", timeout=10
    ).read()
    assert not raw.endswith(b"\n")
    body = json.loads(raw)
    assert raw == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert set(body) == set(real)
    for record in body["results"]:
        assert set(record) == set(real["results"][0])
        assert isinstance(record["number"], str)
        assert record["created_epoch"].isdigit() and len(record["created_epoch"]) == 13
        assert set(record["basic"]) <= real_basic_keys
        assert {"first_name", "last_name", "sex", "status", "enumeration_date"} <= set(
            record["basic"]
        )
        for address in record["addresses"]:
            assert set(address) <= real_address_keys
            assert address["address_purpose"] in ("LOCATION", "MAILING")
        for taxonomy in record["taxonomies"]:
            assert set(taxonomy) == real_taxonomy_keys
    org = next(r for r in RECORDS if r["enumeration_type"] == "NPI-2")
    assert set(org["basic"]) == set(real_org["results"][0]["basic"])


def test_pretty_output_is_indented_json(web):
    with urllib.request.urlopen(
        web.npi_api_url + "?version=2.1&last_name=ruiz&pretty=on", timeout=10
    ) as response:
        raw = response.read()
    assert b"\n    " in raw
    assert json.loads(raw)["result_count"] == 1


def test_unknown_emulator_paths_are_404(web):
    status, _, _ = fetch(web.npi_api_url.replace("/api/", "/nope"))
    assert status == 404


# ---------------------------------------------------------------- command line


@pytest.mark.slow
def test_the_command_writes_a_manifest_and_stops_cleanly_on_sigterm(tmp_path):
    manifest = tmp_path / "manifest.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "skinmap.demoweb", "--manifest", str(manifest)],
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not manifest.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert manifest.exists(), (
            process.stderr.read().decode() if process.poll() is not None else ""
        )
        data = json.loads(manifest.read_text(encoding="utf-8"))
        assert len(data["sites"]) == len(TRUTH)
        status, _, _ = fetch(data["sites"][0]["url"])
        assert status == 200
        assert (
            npi_get(SimpleNamespace(**data), version="2.1", last_name="ruiz")["result_count"] == 1
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def test_a_record_whose_taxonomy_desc_is_null_is_still_found_by_its_codes_description():
    records = load_npi_records(DEFAULT_ROOT / "nppes.json")
    null_desc = [
        r for r in records if any(t.get("desc") is None for t in r.get("taxonomies") or [])
    ]
    assert null_desc, "the demo registry should keep a null-desc record (a real API quirk)"
    body = npi_search(
        records,
        {"version": "2.1", "taxonomy_description": "Plastic and Reconstructive", "limit": "200"},
    )
    numbers = {r["number"] for r in body["results"]}
    assert {r["number"] for r in null_desc} <= numbers
