"""The admin back office through its HTTP interface: sessions, CSRF, throttling, roles, the review
queue and every curation action (each an override plus an audit entry that reaches public search)."""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from index.accounts import LOGIN_LIMIT, Accounts
from index.build import current_generation, rebuild
from index.records import Observation
from index.search import SearchRequest, SearchService
from index.store import Store
from search_web.admin.app import admin_routes, create_admin_app
from search_web.admin.catalog import load_catalog
from search_web.admin.middleware import ADMIN_HEADERS, SESSION_COOKIE
from search_web.app import WebSettings, create_app
from tests.search_web.sample import build_data_dir, fixture_observations

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ADMIN = ("ada", "ada-admin-passphrase-1")
EDITOR = ("eli", "eli-editor-passphrase-2")
PUBLISH_TIMEOUT = 60  # generous: the rebuild of this tiny store takes a fraction of a second
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def welles_observation() -> Observation:
    """A directory entry that the resolver joins to Dana Wells by name + phone, with a fuzzy score."""
    seen = fixture_observations()[-1].fetched_at
    return Observation(
        source="directory",
        kind="practitioner",
        source_key="https://derm-finder.test/tx#dana welles",
        url="https://derm-finder.test/tx/dana-welles",
        fetched_at=seen,
        payload={
            "name": "Dana Welles",
            "first_name": "Dana",
            "middle_name": None,
            "last_name": "Welles",
            "suffix": None,
            "credentials": ["MD"],
            "npi": None,
            "specialties": ["facial-plastic-surgery"],
            "taxonomy_codes": [],
            "is_physician": True,
            "role": "physician",
            "practice_name": "Bayou Facial Plastics",
            "website": None,
            "profile_url": None,
            "locations": [
                {
                    "practice": "Bayou Facial Plastics",
                    "street": "700 Main St",
                    "city": "Houston",
                    "state": "TX",
                    "postal_code": "77002",
                    "phone": "+17135550104",
                    "lat": None,
                    "lon": None,
                }
            ],
            "evidence": [],
        },
    )


def admin_observations() -> list[Observation]:
    return [*fixture_observations(), welles_observation()]


def make_admin_data_dir(path: Path) -> Path:
    build_data_dir(path, admin_observations())
    with Accounts.for_data_dir(path) as accounts:
        accounts.create_user(ADMIN[0], "admin", ADMIN[1])
        accounts.create_user(EDITOR[0], "editor", EDITOR[1])
    return path


def mounted_app(data_dir: Path, **admin_settings: float) -> tuple[Starlette, Starlette]:
    """The public app with the admin app at /admin: the public create_app's own mount when it has
    one (the real wiring), else ours, mounted the same way."""
    settings = WebSettings(data_dir=data_dir)
    for name, value in admin_settings.items():
        setattr(settings, name, value)
    public = create_app(settings)
    for route in public.routes:
        if isinstance(route, Mount) and route.path == "/admin":
            return public, route.app
    admin = create_admin_app(settings)
    public.router.routes.insert(0, Mount("/admin", app=admin))
    return public, admin


def csrf_in(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, user: tuple[str, str]) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    form = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": user[0], "password": user[1], "csrf_token": csrf_in(form.text)},
    )
    assert response.status_code == 200 and "Review queue" in response.text, response.text[:500]
    return csrf_in(response.text)


def queue_ids(client: TestClient, category: str | None = None) -> list[str]:
    """The listing ids a queue page shows, in order."""
    params = {"category": category} if category else {}
    page = client.get("/admin/", params=params)
    assert page.status_code == 200
    return re.findall(r'<tr data-listing="([^"]+)"', page.text)


def queue_counts(html: str) -> dict[str, int]:
    found = re.findall(r'data-category="(\w+)"[^>]*>[^<]*<span class="count">(\d+)', html)
    return {name: int(count) for name, count in found}


def public_search(data_dir: Path, q: str) -> list[dict]:
    with closing(SearchService(data_dir, check_interval=0)) as service:
        return service.search(SearchRequest(q=q, per_page=100)).results


def public_listing(data_dir: Path, listing_id: str):
    with closing(SearchService(data_dir, check_interval=0)) as service:
        return service.get(listing_id)


@dataclass
class Backoffice:
    data_dir: Path
    client: TestClient
    admin_app: Starlette

    def published(self) -> None:
        assert self.admin_app.state.admin.rebuilder.wait_idle(PUBLISH_TIMEOUT)
        assert self.admin_app.state.admin.rebuilder.last_error is None

    def ids(self) -> dict[str, str]:
        with Store(self.data_dir / "store.sqlite3") as store:
            catalog = load_catalog(store)
        return {entry.listing.name: entry.id for entry in catalog.listings.values()}

    def catalog(self):
        with Store(self.data_dir / "store.sqlite3") as store:
            return load_catalog(store)

    def audit(self, target: str | None = None):
        with Store(self.data_dir / "store.sqlite3") as store:
            return store.audit_log(target)


@pytest.fixture(scope="session")
def admin_template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once (store, index, two users); each test gets its own copy to change freely."""
    return make_admin_data_dir(tmp_path_factory.mktemp("admin-template") / "data")


@pytest.fixture
def admin_data_dir(admin_template_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(admin_template_dir, tmp_path / "data"))


@pytest.fixture
def office(admin_data_dir: Path) -> Iterator[Backoffice]:
    data_dir = admin_data_dir
    public, admin = mounted_app(data_dir)
    with TestClient(public) as client:
        yield Backoffice(data_dir, client, admin)
    admin.state.admin.rebuilder.wait_idle(PUBLISH_TIMEOUT)
    for job in admin.state.admin.launcher.jobs:  # only ones a failed test left running
        if job.process.poll() is None:
            job.process.kill()
            job.process.wait(timeout=30)
    admin.state.admin.close()


# --- access control ---------------------------------------------------------------------------------


def _concrete(path: str) -> str:
    return (
        path.replace("{listing_id}", "p-0000000000")
        .replace("{report_id}", "1")
        .replace("{name}", "ada")
    )


def test_no_admin_page_is_reachable_without_a_session(office):
    client = office.client
    checked = 0
    for route in admin_routes():
        if not isinstance(route, Route) or route.path == "/login":
            continue
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            response = client.request(
                method, "/admin" + _concrete(route.path), follow_redirects=False
            )
            if method == "GET":
                assert response.status_code == 303, route.path
                assert response.headers["location"] == "/admin/login"
            else:
                assert response.status_code == 403, route.path
            checked += 1
    assert checked >= 15
    # Nothing was changed by all those anonymous posts.
    assert office.audit() == []


def test_every_admin_route_but_login_is_guarded():
    for route in admin_routes():
        if isinstance(route, Route) and route.path != "/login":
            assert getattr(route.endpoint, "guarded", None) in ("editor", "admin"), route.path


def test_the_login_form_has_the_fields_the_issue_names(office):
    page = office.client.get("/admin/login")
    assert page.status_code == 200
    for field in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert field in page.text


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(office):
    form = office.client.get("/admin/login")
    response = office.client.post(
        "/admin/login",
        data={
            "username": ADMIN[0],
            "password": "not-the-password",
            "csrf_token": csrf_in(form.text),
        },
    )
    assert response.status_code == 401
    assert "do not match" in response.text
    assert SESSION_COOKIE not in response.cookies


def test_login_without_the_forms_csrf_token_is_refused(office):
    office.client.get("/admin/login")
    response = office.client.post("/admin/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 403
    response = office.client.post(
        "/admin/login", data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": "é"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in office.client.cookies


def test_the_sixth_login_attempt_in_a_minute_gets_429_with_a_clear_message(office):
    statuses = []
    for _ in range(LOGIN_LIMIT + 1):
        form = office.client.get("/admin/login")
        response = office.client.post(
            "/admin/login",
            data={"username": ADMIN[0], "password": "guess", "csrf_token": csrf_in(form.text)},
        )
        statuses.append(response.status_code)
    assert statuses == [401] * LOGIN_LIMIT + [429]
    assert "Too many sign-in attempts" in response.text
    assert response.headers["retry-after"] == "60"
    # Even the right password is refused while throttled: the limit is checked first.
    form = office.client.get("/admin/login")
    response = office.client.post(
        "/admin/login",
        data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_in(form.text)},
    )
    assert response.status_code == 429


def test_the_session_cookie_is_httponly_samesite_lax_and_scoped_to_admin(office):
    form = office.client.get("/admin/login")
    response = office.client.post(
        "/admin/login",
        data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_in(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/admin" in lowered
    assert "secure" not in lowered  # plain http here; see the https test


def test_the_session_cookie_is_secure_when_served_over_https(admin_data_dir):
    data_dir = admin_data_dir
    public, admin = mounted_app(data_dir)
    with TestClient(public, base_url="https://testserver") as client:
        form = client.get("/admin/login")
        response = client.post(
            "/admin/login",
            data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_in(form.text)},
            follow_redirects=False,
        )
    admin.state.admin.close()
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "secure" in cookie.lower()


def test_logout_invalidates_the_session_on_the_server(office):
    csrf = log_in(office.client, ADMIN)
    token = office.client.cookies[SESSION_COOKIE]
    response = office.client.post(
        "/admin/logout", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    # Replaying the old cookie does not work: the server forgot the session.
    office.client.cookies.set(SESSION_COOKIE, token, path="/admin")
    again = office.client.get("/admin/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/admin/login"


def test_an_idle_session_sends_the_user_back_to_login(admin_data_dir):
    data_dir = admin_data_dir
    # A negative idle timeout makes every session already idle, without waiting in the test.
    public, admin = mounted_app(data_dir, admin_idle_timeout=-1)
    with TestClient(public) as client:
        form = client.get("/admin/login")
        client.post(
            "/admin/login",
            data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_in(form.text)},
        )
        response = client.get("/admin/", follow_redirects=False)
    admin.state.admin.close()
    assert response.status_code == 303 and response.headers["location"] == "/admin/login"


def test_a_post_without_the_csrf_token_gets_403_and_changes_nothing(office):
    log_in(office.client, EDITOR)
    ana = office.ids()["Ana Ruiz"]
    for data in (
        {"action": "hide"},
        {"action": "hide", "csrf_token": "forged"},
        {"action": "hide", "csrf_token": "jeton-forgé"},
    ):
        response = office.client.post(f"/admin/listings/{ana}/action", data=data)
        assert response.status_code == 403
        assert "expired" in response.text
    assert office.audit() == []
    assert not office.catalog().get(ana).listing.hidden


def test_a_csrf_token_from_another_session_is_refused(office):
    stolen = log_in(office.client, ADMIN)
    with TestClient(office.client.app) as other:
        log_in(other, EDITOR)
        ana = office.ids()["Ana Ruiz"]
        response = other.post(
            f"/admin/listings/{ana}/action", data={"action": "hide", "csrf_token": stolen}
        )
    assert response.status_code == 403


def test_security_headers_are_on_every_admin_page(office):
    anonymous = [office.client.get("/admin/login"), office.client.get("/admin/no-such-page")]
    log_in(office.client, EDITOR)
    pages = anonymous + [
        office.client.get(path)
        for path in ("/admin/", "/admin/crawls", "/admin/users", "/admin/listings/p-0000000000")
    ]
    for page in pages:
        for name, value in ADMIN_HEADERS.items():
            assert page.headers[name] == value, (page.url, name)
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert "<script>" not in page.text and " style=" not in page.text


def test_an_editor_cannot_manage_users(office):
    csrf = log_in(office.client, EDITOR)
    assert office.client.get("/admin/users").status_code == 403
    created = office.client.post(
        "/admin/users",
        data={
            "username": "mallory",
            "role": "admin",
            "password": "mallory-passphrase",
            "csrf_token": csrf,
        },
    )
    assert created.status_code == 403
    disabled = office.client.post(
        f"/admin/users/{ADMIN[0]}", data={"change": "disable", "csrf_token": csrf}
    )
    assert disabled.status_code == 403
    with Accounts.for_data_dir(office.data_dir) as accounts:
        assert accounts.get_user("mallory") is None
        assert not accounts.get_user(ADMIN[0]).disabled
    assert "/admin/users" not in office.client.get("/admin/").text


def test_an_admin_can_add_and_disable_users_and_the_audit_has_no_password(office):
    csrf = log_in(office.client, ADMIN)
    response = office.client.post(
        "/admin/users",
        data={
            "username": "nia",
            "role": "editor",
            "password": "nia-passphrase-9",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 200 and 'data-user="nia"' in response.text
    response = office.client.post(
        "/admin/users/nia", data={"change": "disable", "csrf_token": csrf}
    )
    assert response.status_code == 200
    with Accounts.for_data_dir(office.data_dir) as accounts:
        assert accounts.get_user("nia").disabled
        assert accounts.authenticate("nia", "nia-passphrase-9") is None
    actions = [(e.action, e.target, e.who) for e in office.audit()]
    assert ("user.create", "user:nia", "ada") in actions
    assert ("user.disable", "user:nia", "ada") in actions
    assert "nia-passphrase-9" not in repr(office.audit())


def test_an_admin_cannot_lock_themselves_out(office):
    csrf = log_in(office.client, ADMIN)
    response = office.client.post(
        f"/admin/users/{ADMIN[0]}", data={"change": "disable", "csrf_token": csrf}
    )
    assert response.status_code == 400
    with Accounts.for_data_dir(office.data_dir) as accounts:
        assert not accounts.get_user(ADMIN[0]).disabled


def test_passwords_never_appear_in_logs_or_databases(office, caplog):
    caplog.set_level(logging.DEBUG)
    csrf = log_in(office.client, ADMIN)
    office.client.post(
        "/admin/users",
        data={
            "username": "nia",
            "role": "editor",
            "password": "nia-secret-words",
            "csrf_token": csrf,
        },
    )
    office.client.post(
        "/admin/users/nia",
        data={"change": "password", "password": "nia-other-words", "csrf_token": csrf},
    )
    with TestClient(office.client.app) as other:
        form = other.get("/admin/login")
        other.post(
            "/admin/login",
            data={
                "username": "nia",
                "password": "nia-wrong-words",
                "csrf_token": csrf_in(form.text),
            },
        )
    assert "admin login failed" in caplog.text  # the log is being captured
    secrets = [ADMIN[1], "nia-secret-words", "nia-other-words", "nia-wrong-words"]
    for secret in secrets:
        assert secret not in caplog.text
    for database in office.data_dir.glob("*.sqlite3*"):
        content = database.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, database.name


# --- review queue ------------------------------------------------------------------------------------


def test_the_queue_lists_new_listings_evidence_to_confirm_and_low_confidence_merges(office):
    log_in(office.client, EDITOR)
    ids = office.ids()
    counts = queue_counts(office.client.get("/admin/").text)
    assert counts["new"] == 4  # Ana, Ben, Cara and Dana (with Dana Welles joined in)
    assert counts["evidence"] == 2  # Ana and Dana have positive quotes; Cara's is negated
    assert counts["merges"] == 1
    assert queue_ids(office.client, "merges") == [ids["Dana Wells"]]
    assert set(queue_ids(office.client)) == set(ids.values())
    listing = office.client.get(f"/admin/listings/{ids['Dana Wells']}").text
    assert "name+phone" in listing and "low confidence" in listing


def test_the_queue_filters_by_name(office):
    log_in(office.client, EDITOR)
    ids = office.ids()
    page = office.client.get("/admin/", params={"category": "new", "q": "okafor"}).text
    assert re.findall(r'<tr data-listing="([^"]+)"', page) == [ids["Ben Okafor"]]


def test_an_unknown_queue_is_a_400(office):
    log_in(office.client, EDITOR)
    assert office.client.get("/admin/?category=bogus").status_code == 400


def test_bulk_approve_empties_the_new_queue_and_audits_each_listing(office):
    csrf = log_in(office.client, EDITOR)
    ids = office.ids()
    response = office.client.post(
        "/admin/bulk",
        data={"ids": list(ids.values()), "action": "approve", "why": "checked", "csrf_token": csrf},
    )
    assert response.status_code == 200 and "Done for the selected listings" in response.text
    assert queue_counts(response.text)["new"] == 0
    assert queue_ids(office.client, "new") == []
    # Approving Dana also accepts the fuzzy merge that formed her listing.
    assert queue_ids(office.client, "merges") == []
    for listing_id in ids.values():
        approvals = [e for e in office.audit(listing_id) if e.action == "listing.approve"]
        assert (
            len(approvals) == 1 and approvals[0].who == EDITOR[0] and approvals[0].why == "checked"
        )


# --- actions reach public search -----------------------------------------------------------------------


def test_hide_is_an_override_with_an_audit_entry_and_leaves_public_search(office):
    csrf = log_in(office.client, EDITOR)
    ana = office.ids()["Ana Ruiz"]
    assert public_listing(office.data_dir, ana) is not None
    response = office.client.post(
        f"/admin/listings/{ana}/action",
        data={"action": "hide", "why": "duplicate of a clinic page", "csrf_token": csrf},
    )
    assert response.status_code == 200 and "Hidden from the public site" in response.text
    office.published()
    assert public_listing(office.data_dir, ana) is None
    assert all(r["id"] != ana for r in public_search(office.data_dir, "Ruiz"))
    entry = next(e for e in office.audit(ana) if e.action == "listing.hide")
    assert (entry.who, entry.before, entry.after, entry.why) == (
        EDITOR[0],
        {"hidden": False},
        {"hidden": True},
        "duplicate of a clinic page",
    )
    assert entry.at
    # The admin still sees it, in the hidden queue, and can bring it back.
    assert queue_ids(office.client, "hidden") == [ana]
    office.client.post(
        f"/admin/listings/{ana}/action", data={"action": "unhide", "csrf_token": csrf}
    )
    office.published()
    assert public_listing(office.data_dir, ana) is not None
    with Store(office.data_dir / "store.sqlite3") as store:
        active = [o for o in store.overrides_for(ana) if o.field == "hidden"]
    assert [o.value for o in active] == [False]


def test_an_edit_shows_in_public_search_and_survives_a_recrawl(office):
    csrf = log_in(office.client, EDITOR)
    ben = office.ids()["Ben Okafor"]
    response = office.client.post(
        f"/admin/listings/{ben}/edit",
        data={
            "name": "Benjamin Okafor",
            "credentials": "D.O., FACS",
            "specialties": ["plastic-surgery", "cosmetic-surgery"],
            "website": "https://southlamar-plastics.test/",
            "offers_microneedling": "crawled",
            "why": "fixed from the practice's own page",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 200 and "Saved." in response.text
    office.published()
    shown = public_listing(office.data_dir, ben)
    assert shown.name == "Benjamin Okafor"
    assert shown.credentials == ["DO", "FACS"]
    assert shown.specialties == ["plastic-surgery", "cosmetic-surgery"]
    assert shown.website == "https://southlamar-plastics.test/"
    edit = next(e for e in office.audit(ben) if e.action == "listing.edit")
    assert edit.before["name"] == "Ben Okafor" and edit.after["name"] == "Benjamin Okafor"

    # Recrawl: the sources report their (unchanged, older) values again; the edit must stand.
    with Store(office.data_dir / "store.sqlite3") as store:
        run_id = store.start_run("practice_site", {"recrawl": True})
        for observation in admin_observations():
            store.record_observation(run_id, observation)
        store.finish_run(run_id, "finished", {}, [])
    before = current_generation(office.data_dir)
    rebuild(office.data_dir)
    assert current_generation(office.data_dir) != before
    shown = public_listing(office.data_dir, ben)
    assert shown.name == "Benjamin Okafor" and shown.credentials == ["DO", "FACS"]
    assert [r["id"] for r in public_search(office.data_dir, "Benjamin")] == [ben]


def edit_form(office: Backoffice, listing_id: str, csrf: str, **changes) -> dict:
    """The edit form as the listing page fills it in, with some fields changed."""
    listing = office.catalog().get(listing_id).listing
    form = {
        "name": listing.name,
        "credentials": ", ".join(listing.credentials),
        "specialties": listing.specialties,
        "website": listing.website or "",
        "offers_microneedling": "crawled",
        "csrf_token": csrf,
    }
    form.update(changes)
    return form


def test_an_edit_cannot_claim_microneedling_without_a_quote(office):
    csrf = log_in(office.client, EDITOR)
    ben = office.ids()["Ben Okafor"]
    response = office.client.post(
        f"/admin/listings/{ben}/edit",
        data=edit_form(office, ben, csrf, offers_microneedling="yes"),
    )
    assert response.status_code == 400
    assert office.audit(ben) == []


def test_an_editor_can_say_a_practitioner_does_not_offer_it_and_the_quote_goes(office):
    csrf = log_in(office.client, EDITOR)
    ana = office.ids()["Ana Ruiz"]
    why = "the practice phoned: stopped in October"
    office.client.post(
        f"/admin/listings/{ana}/edit",
        data=edit_form(office, ana, csrf, offers_microneedling="no", why=why),
    )
    office.published()
    shown = public_listing(office.data_dir, ana)
    assert shown.offers_microneedling is False and shown.microneedling_evidence is None


def test_an_edit_with_a_non_http_website_is_refused(office):
    csrf = log_in(office.client, EDITOR)
    ben = office.ids()["Ben Okafor"]
    response = office.client.post(
        f"/admin/listings/{ben}/edit",
        data=edit_form(office, ben, csrf, website="javascript:alert(1)"),
    )
    assert response.status_code == 400 and "http" in response.text


def test_an_untouched_hostile_crawled_website_does_not_block_other_edits(office):
    csrf = log_in(office.client, EDITOR)
    ben = office.ids()["Ben Okafor"]
    response = office.client.post(
        f"/admin/listings/{ben}/edit", data=edit_form(office, ben, csrf, name="Ben A. Okafor")
    )
    assert response.status_code == 200
    (edit,) = [e for e in office.audit(ben) if e.action == "listing.edit"]
    assert edit.after == {"name": "Ben A. Okafor"}


def test_verify_records_the_crawled_values_and_a_later_change_requeues_the_listing(office):
    csrf = log_in(office.client, EDITOR)
    ana = office.ids()["Ana Ruiz"]
    office.client.post(
        f"/admin/listings/{ana}/action", data={"action": "verify", "csrf_token": csrf}
    )
    assert ana not in queue_ids(office.client, "evidence")
    assert queue_ids(office.client, "changed") == []
    # The practice site now quotes a different sentence: evidence to confirm, and changed.
    changed = fixture_observations()[0]
    changed.payload["evidence"][0]["quote"] = "Microneedling is now offered with radiofrequency."
    with Store(office.data_dir / "store.sqlite3") as store:
        store.record_observation(None, changed)
    assert queue_ids(office.client, "changed") == [ana]
    assert ana in queue_ids(office.client, "evidence")


def test_merge_then_unmerge_through_overrides(office):
    csrf = log_in(office.client, EDITOR)
    ids = office.ids()
    cara, dana = ids["Cara Lin"], ids["Dana Wells"]
    response = office.client.post(
        "/admin/merge",
        data={"target": cara, "other": dana, "why": "same person, new surname", "csrf_token": csrf},
    )
    assert response.status_code == 200 and "Merged." in response.text
    office.published()
    catalog = office.catalog()
    merged = [
        e
        for e in catalog.listings.values()
        if {"Cara Lin", "Dana Wells"} & {m.name for m in e.members}
    ]
    assert len(merged) == 1 and len(merged[0].members) == 3
    merged_id = merged[0].id
    assert public_listing(office.data_dir, merged_id) is not None
    assert {cara, dana} - {merged_id} and public_listing(
        office.data_dir, ({cara, dana} - {merged_id}).pop()
    ) is None
    assert any(e.action == "listing.merge" for e in office.audit(cara))

    cara_key = next(m.key for m in merged[0].members if m.name == "Cara Lin")
    response = office.client.post(
        f"/admin/listings/{merged_id}/unmerge",
        data={"key": cara_key, "why": "different people after all", "csrf_token": csrf},
    )
    assert response.status_code == 200 and "Split off." in response.text
    office.published()
    ids_after = office.ids()
    assert ids_after["Cara Lin"] != ids_after["Dana Wells"]
    assert public_listing(office.data_dir, ids_after["Cara Lin"]) is not None
    assert public_listing(office.data_dir, ids_after["Dana Wells"]) is not None
    unmerge = next(e for e in office.audit(merged_id) if e.action == "listing.unmerge")
    assert unmerge.after["split_off"] == cara_key and unmerge.after["undid_admin_merge"] is True


def test_unmerge_splits_a_link_the_resolver_made_and_it_stays_split_after_a_recrawl(office):
    csrf = log_in(office.client, EDITOR)
    dana = office.ids()["Dana Wells"]
    welles_key = next(m.key for m in office.catalog().get(dana).members if m.name == "Dana Welles")
    office.client.post(
        f"/admin/listings/{dana}/unmerge", data={"key": welles_key, "csrf_token": csrf}
    )
    office.published()
    rebuild(office.data_dir)  # a plain rebuild (as after a recrawl) re-resolves from scratch
    names = {e.listing.name: len(e.members) for e in office.catalog().listings.values()}
    assert names["Dana Wells"] == 1 and names["Dana Welles"] == 1


def test_two_listings_with_different_npis_cannot_be_merged(office):
    csrf = log_in(office.client, EDITOR)
    ids = office.ids()
    response = office.client.post(
        "/admin/merge",
        data={"target": ids["Ana Ruiz"], "other": ids["Ben Okafor"], "csrf_token": csrf},
    )
    assert response.status_code == 400 and "different NPIs" in response.text
    assert office.audit() == []


def test_a_patient_report_is_queued_and_resolved_with_an_audit_entry(office):
    csrf = log_in(office.client, EDITOR)
    ben = office.ids()["Ben Okafor"]
    with Store(office.data_dir / "store.sqlite3") as store:
        report_id = store.add_report(ben, "wrong-phone", "The phone rings a pizzeria.", None)
    assert queue_ids(office.client, "reports") == [ben]
    page = office.client.get(f"/admin/listings/{ben}").text
    assert "rings a pizzeria" in page
    response = office.client.post(
        f"/admin/reports/{report_id}",
        data={"outcome": "resolved", "why": "phone corrected", "back": ben, "csrf_token": csrf},
    )
    assert response.status_code == 200 and "Report resolved." in response.text
    with Store(office.data_dir / "store.sqlite3") as store:
        assert [r.status for r in store.reports()] == ["resolved"]
    assert queue_ids(office.client, "reports") == []
    entry = next(e for e in office.audit(ben) if e.action == "report.resolved")
    assert entry.before == {"report": report_id, "status": "open"}
    assert entry.after == {"report": report_id, "status": "resolved"}


def test_reports_are_closed_in_bulk_from_the_queue(office):
    csrf = log_in(office.client, EDITOR)
    ids = office.ids()
    ben, ana = ids["Ben Okafor"], ids["Ana Ruiz"]
    with Store(office.data_dir / "store.sqlite3") as store:
        store.add_report(ben, "wrong-phone", "The phone rings a pizzeria.", None)
        store.add_report(ben, "closed-moved", "They moved.", None)
        store.add_report(ana, "not-offered", "They said no microneedling.", None)
    assert sorted(queue_ids(office.client, "reports")) == sorted([ben, ana])
    response = office.client.post(
        "/admin/bulk",
        data={"ids": [ben, ana], "action": "dismiss reports", "why": "spam", "csrf_token": csrf},
    )
    assert response.status_code == 200
    assert queue_ids(office.client, "reports") == []
    with Store(office.data_dir / "store.sqlite3") as store:
        assert [r.status for r in store.reports()] == ["dismissed"] * 3
    assert len([e for e in office.audit(ben) if e.action == "report.dismissed"]) == 2


def test_the_history_page_shows_who_did_what_and_why(office):
    csrf = log_in(office.client, EDITOR)
    ana = office.ids()["Ana Ruiz"]
    office.client.post(
        f"/admin/listings/{ana}/action",
        data={"action": "hide", "why": "asked by the practice", "csrf_token": csrf},
    )
    history = office.client.get(f"/admin/listings/{ana}/history").text
    assert "listing.hide" in history and "asked by the practice" in history and EDITOR[0] in history


# --- crawl dashboard -------------------------------------------------------------------------------------


def test_the_crawl_dashboard_shows_runs_errors_and_per_source_freshness(office):
    with Store(office.data_dir / "store.sqlite3") as store:
        run_id = store.start_run("nppes", {"states": ["TX"]})
        store.record_rejection(run_id, "evidence without a quote", "https://x.test/")
        store.finish_run(run_id, "failed", {"item_scraped_count": 3}, ["HTTP 503 from the NPI API"])
    log_in(office.client, EDITOR)
    page = office.client.get("/admin/crawls").text
    assert f'data-run="{run_id}"' in page
    assert "HTTP 503 from the NPI API" in page and "item_scraped_count: 3" in page
    freshness = page.split('class="freshness"')[1].split("</table>")[0]
    assert "nppes" in freshness and "practice_site" in freshness and "directory" in freshness


def test_a_bad_crawl_request_is_refused_and_starts_nothing(office):
    csrf = log_in(office.client, EDITOR)
    response = office.client.post(
        "/admin/crawls/start", data={"source": "nppes", "states": "Texas", "csrf_token": csrf}
    )
    assert response.status_code == 400 and "two-letter" in response.text
    assert office.admin_app.state.admin.launcher.jobs == []


@pytest.mark.slow
def test_an_index_rebuild_starts_as_a_background_process(office):
    csrf = log_in(office.client, EDITOR)
    before = current_generation(office.data_dir)
    response = office.client.post("/admin/index/rebuild", data={"csrf_token": csrf})
    assert response.status_code == 200 and "Index rebuild started" in response.text
    (job,) = office.admin_app.state.admin.launcher.jobs
    assert job.argv[1:] == ["-m", "skinmap", "--data-dir", str(office.data_dir), "index"]
    assert job.process.wait(timeout=120) == 0, job.log_path.read_text()
    assert current_generation(office.data_dir) != before
    assert "finished" in office.client.get("/admin/crawls").text


def test_the_accounts_file_is_separate_from_the_public_store(office):
    log_in(office.client, ADMIN)
    with sqlite3.connect(office.data_dir / "store.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not tables & {"users", "sessions", "login_attempts"}


@pytest.mark.slow
def test_a_crawl_starts_as_a_background_process_and_its_run_reaches_the_dashboard(office):
    csrf = log_in(office.client, EDITOR)
    # A closed loopback port: the crawl runs for real, fails to fetch, and records its errors.
    response = office.client.post(
        "/admin/crawls/start",
        data={"source": "practices", "start_urls": "http://127.0.0.1:9/", "csrf_token": csrf},
    )
    assert response.status_code == 200 and "Crawl started in the background" in response.text
    (job,) = office.admin_app.state.admin.launcher.jobs
    assert job.argv[5:] == ["crawl", "practices", "--start-url", "http://127.0.0.1:9/"]
    assert job.process.wait(timeout=180) == 0, job.log_path.read_text()
    with Store(office.data_dir / "store.sqlite3") as store:
        first, run = store.runs()[0], store.runs()[-1]
    assert run.id != first.id  # a new run, recorded by the crawl process itself
    page = office.client.get("/admin/crawls").text
    row = page.split(f'data-run="{run.id}"')[1].split("</tr>")[0]
    assert run.status in row and "Connection was refused" in row
    assert any(e.action == "crawl.start" and e.who == EDITOR[0] for e in office.audit("crawl"))


def test_the_catalog_is_reused_until_anything_writes_to_the_store(office):
    state = office.admin_app.state.admin
    state.clock = lambda: 600.0  # a fixed minute: only store writes may invalidate here
    first = state.catalog()
    assert state.catalog() is first
    with Store(office.data_dir / "store.sqlite3") as store:  # another connection, like a crawl
        store.add_report(first.listings[next(iter(first.listings))].id, "other", "note", None)
    second = state.catalog()
    assert second is not first
    assert sum(len(e.reports) for e in second.listings.values()) == 1
    state.store.audit("eli", "test.touch", "nothing")  # the app's own Store connection
    third = state.catalog()
    assert third is not second
    state.clock = lambda: 660.0  # the next minute: "new" and "stale" are recomputed
    assert state.catalog() is not third
