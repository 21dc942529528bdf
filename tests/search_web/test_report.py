"""'Report a problem': field rules, signed double-submit CSRF tokens, the per-IP limit, and the
form end to end over a real store (reports land where the admins read them)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.store import Store
from search_web.app import WebSettings, create_app
from search_web.report import (
    CSRF_COOKIE,
    MESSAGE_MAX,
    REPORT_KINDS,
    CsrfTokens,
    RateLimiter,
    clean_report,
)
from tests.search_web.sample import build_data_dir, fixture_observations

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


# --- pure parts -----------------------------------------------------------------------------------


def test_a_complete_report_is_clean():
    form, errors = clean_report(
        {"kind": "wrong_contact", "message": "  The phone is 512-555-0199 now.\r\n", "contact": ""}
    )
    assert errors == {}
    assert (form.kind, form.message, form.contact) == (
        "wrong_contact",
        "The phone is 512-555-0199 now.",
        "",
    )


def test_every_listed_kind_is_accepted_and_others_are_not():
    for kind in REPORT_KINDS:
        assert "kind" not in clean_report({"kind": kind, "message": "x"})[1]
    for kind in ("", "spam", "OTHER", "not-offered", "<script>"):
        assert "kind" in clean_report({"kind": kind})[1]


def test_a_long_message_a_bad_email_and_an_empty_other_are_errors_with_the_words_kept():
    form, errors = clean_report(
        {"kind": "not_offered", "message": "a" * (MESSAGE_MAX + 1), "contact": "not-an-email"}
    )
    assert set(errors) == {"message", "contact"}
    assert str(MESSAGE_MAX) in errors["message"]
    assert form.contact == "not-an-email" and len(form.message) == MESSAGE_MAX + 1
    assert set(clean_report({"kind": "other", "message": "  "})[1]) == {"message"}
    assert clean_report({"kind": "other", "message": "a" * MESSAGE_MAX})[1] == {}


def test_control_characters_are_dropped_but_line_breaks_kept():
    form, errors = clean_report({"kind": "other", "message": "line one\x00\nline\x07 two"})
    assert errors == {} and form.message == "line one\nline two"


def test_a_token_only_matches_the_nonce_it_was_made_for():
    tokens = CsrfTokens("test-secret")
    nonce = tokens.new_nonce()
    token = tokens.token_for(nonce)
    assert tokens.valid(token, nonce)
    assert not tokens.valid(token, tokens.new_nonce())
    assert not tokens.valid(token, None)
    assert not tokens.valid(None, nonce)
    assert not tokens.valid(token + "x", nonce)
    assert not CsrfTokens("another-secret").valid(token, nonce)


def test_an_expired_token_is_refused():
    tokens = CsrfTokens("test-secret", max_age=-1)
    nonce = tokens.new_nonce()
    assert not tokens.valid(tokens.token_for(nonce), nonce)


def test_the_limiter_allows_five_per_window_per_address_then_forgets():
    now = [1000.0]
    limiter = RateLimiter(limit=5, window=600, clock=lambda: now[0])
    assert [limiter.allow("192.0.2.1") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.allow("192.0.2.2")  # another address has its own budget
    now[0] += 599
    assert not limiter.allow("192.0.2.1")
    now[0] += 2
    assert limiter.allow("192.0.2.1")


def test_the_limiter_does_not_keep_addresses_it_no_longer_needs():
    now = [0.0]
    limiter = RateLimiter(limit=1, window=10, clock=lambda: now[0])
    for number in range(100):
        limiter.allow(f"198.51.100.{number}")
    now[0] += 11
    limiter.allow("203.0.113.1")
    assert set(limiter._events) == {"203.0.113.1"}


# --- the form over a real app and store -----------------------------------------------------------


@pytest.fixture
def report_app(tmp_path: Path) -> Iterator[tuple[TestClient, Path, dict[str, str]]]:
    data_dir = build_data_dir(tmp_path, fixture_observations())
    settings = WebSettings(
        data_dir=data_dir,
        secret_key="test-secret",
        report_limiter=RateLimiter(limit=5, window=600),
        admin=False,
    )
    with TestClient(create_app(settings)) as client:
        results = client.get("/api/search", params={"near": "78701", "radius": "200"}).json()
        ids = {result["name"]: result["id"] for result in results["results"]}
        yield client, data_dir, ids


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match[1]


def _reports(data_dir: Path):
    store = Store(data_dir / "store.sqlite3")
    try:
        return store.reports()
    finally:
        store.close()


def test_the_profile_has_a_labelled_report_form_and_sets_a_strict_cookie(report_app):
    client, _, ids = report_app
    response = client.get(f"/practitioners/{ids['Ana Ruiz']}")
    html = response.text
    assert 'action="/practitioners/' in html and 'method="post"' in html
    for field_id in ("report-kind", "report-message", "report-contact"):
        assert f'for="{field_id}"' in html and f'id="{field_id}"' in html
    for label in REPORT_KINDS.values():
        assert label.replace("’", "&#8217;") in html or label in html
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/practitioners" in cookie
    assert response.headers["cache-control"] == "private, no-store"


def test_a_report_is_stored_for_the_admins_and_the_patient_is_thanked(report_app):
    client, data_dir, ids = report_app
    listing_id = ids["Ana Ruiz"]
    token = _token(client.get(f"/practitioners/{listing_id}").text)
    response = client.post(
        f"/practitioners/{listing_id}/report",
        data={
            "csrf_token": token,
            "kind": "not_offered",
            "message": "They told me on the phone they stopped.",
            "contact": "patient@example.test",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/practitioners/{listing_id}/report/thanks"
    [report] = _reports(data_dir)
    assert report.practitioner_id == listing_id and report.kind == "not_offered"
    assert report.message == "They told me on the phone they stopped."
    assert report.contact == "patient@example.test" and report.status == "open"
    thanks = client.get(response.headers["location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.text and "Ana Ruiz" in thanks.text


def test_bad_fields_are_a_friendly_400_with_the_form_refilled_and_nothing_stored(report_app):
    client, data_dir, ids = report_app
    listing_id = ids["Ben Okafor"]
    token = _token(client.get(f"/practitioners/{listing_id}/report").text)
    response = client.post(
        f"/practitioners/{listing_id}/report",
        data={"csrf_token": token, "kind": "other", "message": "", "contact": "me@@x"},
    )
    assert response.status_code == 400
    html = response.text
    assert 'role="alert"' in html and html.count('class="field-error"') == 2
    assert 'value="me@@x"' in html
    assert re.search(r'<option value="other" selected>', html)
    assert 'aria-invalid="true"' in html and 'aria-describedby="report-message-error"' in html
    assert _reports(data_dir) == []


def test_a_post_without_the_matching_token_is_refused(report_app):
    client, data_dir, ids = report_app
    listing_id = ids["Ana Ruiz"]
    client.get(f"/practitioners/{listing_id}")  # the cookie is set ...
    for token in ("", "forged", CsrfTokens("other-secret").token_for("whatever-nonce-1234")):
        response = client.post(
            f"/practitioners/{listing_id}/report", data={"csrf_token": token, "kind": "other"}
        )
        assert response.status_code == 403
        assert "expired" in response.text
    # ... and a real token without its cookie (a cross-site post) is refused too.
    token = _token(client.get(f"/practitioners/{listing_id}").text)
    client.cookies.clear()
    response = client.post(
        f"/practitioners/{listing_id}/report",
        data={"csrf_token": token, "kind": "closed_moved"},
    )
    assert response.status_code == 403
    assert _reports(data_dir) == []


def test_the_sixth_report_in_ten_minutes_from_one_address_is_a_429_page(report_app):
    client, data_dir, ids = report_app
    listing_id = ids["Cara Lin"]
    token = _token(client.get(f"/practitioners/{listing_id}").text)
    statuses = [
        client.post(
            f"/practitioners/{listing_id}/report",
            data={"csrf_token": token, "kind": "closed_moved"},
            follow_redirects=False,
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [303] * 5 + [429]
    response = client.post(
        f"/practitioners/{listing_id}/report", data={"csrf_token": token, "kind": "closed_moved"}
    )
    assert response.status_code == 429 and response.headers["retry-after"] == "600"
    assert "Too many reports" in response.text and "<html" in response.text
    assert len(_reports(data_dir)) == 5


def test_reports_on_unknown_listings_are_404(report_app):
    client, _, _ = report_app
    assert client.post("/practitioners/p-0000000000/report", data={}).status_code == 404
    assert client.get("/practitioners/p-0000000000/report").status_code == 404
    assert client.get("/practitioners/p-0000000000/report/thanks").status_code == 404
