"""The app's edges: security and CORS headers, 503 before the first build, 500s without tracebacks,
and the whole thing served by a real uvicorn on a loopback port."""

from __future__ import annotations

import functools

import httpx
import pytest

from index.search import SearchService
from search_web import service
from search_web.app import WebSettings, create_app
from search_web.security import content_security_policy
from search_web.service import Directory
from tests.search_web.conftest import TestClient
from tests.search_web.sample import build_data_dir, fixture_observations

PAGES = ["/", "/search?near=78701", "/guide/microneedling", "/no-such-page"]
API = ["/api/search?near=78701", "/api/search?radius=x", "/api/practitioners/p-0000000000"]


@pytest.mark.parametrize("url", PAGES + API + ["/healthz", "/static/css/site.css"])
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "img-src 'self' data:" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("url", API)
def test_the_api_allows_any_origin_to_read_it_even_on_errors(client, url):
    response = client.get(url, headers={"Origin": "http://elsewhere.test"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_pages_are_not_opened_to_other_origins(client):
    response = client.get("/", headers={"Origin": "http://elsewhere.test"})
    assert "access-control-allow-origin" not in response.headers


def test_a_tile_server_origin_is_allowed_for_images_only():
    csp = content_security_policy("https://tiles.example.test/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://tiles.example.test;" in csp
    assert "default-src 'self';" in csp
    assert "javascript" not in content_security_policy("javascript:alert(1)")
    assert "https://*.tile.example.test" in content_security_policy(
        "https://{s}.tile.example.test/{z}/{x}/{y}.png"
    )
    smuggled = content_security_policy("https://a.test;script-src *;/{z}.png")
    assert "script-src *" not in smuggled and "a.test" not in smuggled


@pytest.mark.parametrize("url", ["/api/search?near=78701", "/api/practitioners/p-0123456789"])
def test_before_the_first_build_the_api_answers_503_telling_the_maintainer_what_to_run(
    empty_client, tmp_path, url
):
    response = empty_client.get(url)
    assert response.status_code == 503
    assert "skinmap index" in response.json()["error"]
    assert str(tmp_path) not in response.text  # server paths stay in the log


def test_before_the_first_build_pages_answer_503_but_the_form_and_guide_still_work(empty_client):
    response = empty_client.get("/search", params={"near": "78701"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "skinmap index" in response.text
    assert empty_client.get("/").status_code == 200
    assert empty_client.get("/guide/microneedling").status_code == 200
    assert empty_client.get("/healthz").json() == {"status": "ok", "index": None}


def test_a_server_started_before_the_first_build_serves_once_the_index_exists(
    tmp_path, monkeypatch
):
    # Check CURRENT on every request instead of once a second, so the test needs no waiting.
    monkeypatch.setattr(
        service, "SearchService", functools.partial(SearchService, check_interval=0)
    )
    with TestClient(create_app(WebSettings(data_dir=tmp_path))) as early:
        assert early.get("/api/search", params={"near": "78701"}).status_code == 503
        build_data_dir(tmp_path, fixture_observations())
        response = early.get("/api/search", params={"near": "78701"})
        assert response.status_code == 200 and response.json()["total"] == 3


def test_an_unexpected_error_is_a_500_page_without_a_traceback(built_data_dir, monkeypatch):
    def broken(self, request):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(Directory, "search", broken)
    app = create_app(WebSettings(data_dir=built_data_dir))
    with TestClient(app, raise_server_exceptions=False) as failing:
        page = failing.get("/search", params={"near": "78701"})
        api = failing.get("/api/search", params={"near": "78701"})
    assert page.status_code == 500 and api.status_code == 500
    for response in (page, api):
        assert "secret internals" not in response.text and "Traceback" not in response.text
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert api.json() == {
        "error": "Something went wrong on our side. Please try again in a moment."
    }
    assert api.headers["access-control-allow-origin"] == "*"


def test_only_get_is_allowed_on_the_api(client):
    response = client.post("/api/search", data={"near": "78701"})
    assert response.status_code == 405
    assert "error" in response.json()


@pytest.mark.slow
def test_a_real_uvicorn_serves_the_api_and_the_pages(live_server):
    with httpx.Client(base_url=live_server, timeout=20) as http:
        api = http.get("/api/search", params={"near": "78701", "procedure": "microneedling"})
        assert api.status_code == 200
        assert [r["name"] for r in api.json()["results"]] == ["Ana Ruiz"]
        assert api.headers["access-control-allow-origin"] == "*"
        profile_url = api.json()["results"][0]["url"]
        page = http.get(profile_url)
        assert page.status_code == 200 and "application/ld+json" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert http.get("/api/search", params={"radius": "x"}).status_code == 400
        assert http.get("/static/css/site.css").headers["content-type"].startswith("text/css")


def test_the_admin_back_office_is_mounted_and_keeps_its_own_headers(client):
    response = client.get("/admin/login")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "access-control-allow-origin" not in response.headers


def test_the_public_site_can_run_without_the_admin(built_data_dir):
    app = create_app(WebSettings(data_dir=built_data_dir, admin=False))
    with TestClient(app) as public_only:
        assert public_only.get("/admin/login").status_code == 404
        assert public_only.get("/api/search", params={"near": "78701"}).status_code == 200
