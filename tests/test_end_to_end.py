"""The whole product on loopback: real crawls of the demo web, a real index, a real uvicorn.

Expectations come from data/demo_web/truth.json, the hand-written description of the demo web,
never from what the crawler produced.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from skinmap.demoweb import start_demo_web

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TRUTH = json.loads((REPO / "data" / "demo_web" / "truth.json").read_text())
# Loopback answers at once; these keep the crawl quick without switching politeness off.
QUICK = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def _skinmap(data_dir: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, (
        f"skinmap {' '.join(args)} exited {completed.returncode}\n"
        f"stdout:\n{completed.stdout[-3000:]}\nstderr:\n{completed.stderr[-6000:]}"
    )
    return completed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(base: str, path: str, **params: object) -> tuple[int, dict]:
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    url = f"{base}{path}" + (f"?{query}" if query else "")
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """Crawl the demo web (NPPES emulator + every practice site), index it, serve it."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    web = start_demo_web()
    server = None
    server_log = None
    try:
        nppes = ["crawl", "nppes", "--api-url", web.npi_api_url]
        for state in sorted({loc["state"] for s in TRUTH["sites"] for loc in s["locations"]}):
            nppes += ["--state", state]
        _skinmap(data_dir, *nppes, *QUICK)
        practices = ["crawl", "practices"]
        for site in web.sites:
            practices += ["--start-url", site.url]
        _skinmap(data_dir, *practices, *QUICK)
        _skinmap(data_dir, "index")

        port = _free_port()
        server_log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 - closed in finally
        server = subprocess.Popen(
            [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), "serve"]
            + ["--port", str(port)],
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = (data_dir / "serve.log").read_text(errors="replace")
                    pytest.fail(f"skinmap serve did not come up:\n{output[-4000:]}")
                time.sleep(0.2)
        yield {"base": base, "web": web, "data_dir": data_dir}
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        if server_log is not None:
            server_log.close()
        web.close()


def _normalised(text: str) -> str:
    return " ".join(html.unescape(text).split()).lower()


def _page_text(url: str) -> str:
    assert url.startswith("http://127."), url
    with urllib.request.urlopen(url, timeout=10) as response:
        page = response.read().decode("utf-8")
    return _normalised(re.sub(r"<[^>]+>", " ", page))


def _sites(offers: bool | None):
    return [s for s in TRUTH["sites"] if s["physicians"] and s["offers_microneedling"] is offers]


def _everyone(base: str, **params: object) -> list[dict]:
    results: list[dict] = []
    page = 1
    while True:
        status, body = _get(base, "/api/search", page=page, per_page=100, **params)
        assert status == 200, body
        results += body["results"]
        if len(results) >= body["total"] or not body["results"]:
            return results
        page += 1


def test_microneedling_search_near_each_offering_practice_finds_its_physicians(demo_site):
    base = demo_site["base"]
    for site in _sites(True):
        for physician in site["physicians"]:
            # near the first office the site says they work at (every office, unless it says)
            status, body = _get(
                base,
                "/api/search",
                near=physician["postal_codes"][0],
                radius=10,
                procedure="microneedling",
                per_page=100,
            )
            assert status == 200, body
            by_name = {result["name"]: result for result in body["results"]}
            assert physician["name"] in by_name, (site["slug"], physician["name"], list(by_name))
            result = by_name[physician["name"]]
            assert result["offers_microneedling"] is True
            evidence = result["microneedling_evidence"]
            # no fake evidence: the quote stands, word for word, on the page it cites
            assert _normalised(evidence["quote"]) in _page_text(evidence["url"]), (
                site["slug"],
                evidence,
            )
            if physician.get("npi"):
                assert result["npi"] == physician["npi"]


def test_results_near_a_place_are_in_distance_order(demo_site):
    base = demo_site["base"]
    zips = {s["locations"][0]["postal_code"] for s in TRUTH["sites"]}
    for zip_code in sorted(zips):
        status, body = _get(base, "/api/search", near=zip_code, radius=50, per_page=100)
        assert status == 200, body
        distances = [result["distance_miles"] for result in body["results"]]
        assert all(distance is not None for distance in distances)
        assert distances == sorted(distances)
        assert all(distance <= 50 for distance in distances)


def test_every_practitioner_appears_once(demo_site):
    everyone = _everyone(demo_site["base"], near="Austin, TX", radius=200)
    everyone += _everyone(demo_site["base"])
    by_id: dict[str, dict] = {}
    for result in everyone:
        by_id[result["id"]] = result
    names = [result["name"] for result in by_id.values()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    npis = [result["npi"] for result in by_id.values() if result["npi"]]
    assert len(npis) == len(set(npis))


def test_practices_that_do_not_offer_microneedling_are_never_listed_as_offering(demo_site):
    base = demo_site["base"]
    offering = {result["name"] for result in _everyone(base, procedure="microneedling")}
    for site in _sites(False):
        for physician in site["physicians"]:
            assert physician["name"] not in offering, (site["slug"], physician["name"])


def test_non_physicians_and_robots_disallowed_pages_never_become_listings(demo_site):
    names = {result["name"] for result in _everyone(demo_site["base"])}
    for site in TRUTH["sites"]:
        for staff in site["non_physician_staff"]:
            assert staff["name"] not in names, (site["slug"], staff)
    assert not any("robot" in name.lower() for name in names)


def test_every_demo_physician_is_listed(demo_site):
    names = {result["name"] for result in _everyone(demo_site["base"])}
    expected = {p["name"] for site in TRUTH["sites"] for p in site["physicians"]}
    assert expected <= names, sorted(expected - names)


def test_practitioner_endpoint_and_errors(demo_site):
    base = demo_site["base"]
    status, body = _get(base, "/api/search", procedure="microneedling", per_page=1)
    assert status == 200 and body["results"]
    first = body["results"][0]
    status, one = _get(base, f"/api/practitioners/{first['id']}")
    assert status == 200 and one["id"] == first["id"]
    assert _get(base, "/api/practitioners/p-doesnotexist")[0] == 404
    status, error = _get(base, "/api/search", near="Atlantis, ZZ")
    assert status == 400 and "error" in error
    status, error = _get(base, "/api/search", near="78701", radius="far")
    assert status == 400 and "error" in error


def test_every_published_location_is_a_real_office_of_the_demo_in_its_zips_city(demo_site):
    """No published city disagrees with its ZIP in the offline gazetteer; every street is one of the
    demo's offices (by the USPS key, so NPPES's "St, Ste" and the page's "Street, Suite" agree),
    and no listing shows one office twice (e.g. "Parkway" and "Pkwy")."""
    from crawler.extract.addresses import address_key
    from index.contact_keys import street_key
    from index.gazetteer import Gazetteer, city_key

    gazetteer = Gazetteer.load()
    offices = {
        street_key(loc["street"], loc["postal_code"])
        for site in TRUTH["sites"]
        for loc in site["locations"]
    }
    registry = json.loads((REPO / "data" / "demo_web" / "nppes.json").read_text())
    offices |= {
        street_key(" ".join(filter(None, (a["address_1"], a.get("address_2")))), a["postal_code"])
        for record in registry
        for a in record["addresses"]
        if a["address_purpose"] == "LOCATION"
    }
    listings = _everyone(demo_site["base"])
    assert sum(len(r["locations"]) for r in listings) >= len(listings) > 0
    for result in listings:
        keys = [address_key(loc["street"], loc["postal_code"]) for loc in result["locations"]]
        assert len(keys) == len(set(keys)), (result["name"], result["locations"])
        for location in result["locations"]:
            office = street_key(location["street"], location["postal_code"])
            assert office in offices, (result["name"], location)
            _lat, _lon, city, state = gazetteer.zip(location["postal_code"])
            assert city_key(location["city"]) == city_key(city), (result["name"], location, city)
            assert location["state"] == state, (result["name"], location)
