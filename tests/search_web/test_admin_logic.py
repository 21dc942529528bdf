"""The back office's pure parts: queue categories, edit-form parsing, crawl commands, and the
coalescing background rebuilder (driven with a fake build, no sleeping)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from index.build import BuildInProgress
from index.records import Listing, Override, Report
from search_web.admin.actions import ActionError, parse_credentials, parse_edit, parse_website
from search_web.admin.catalog import (
    NEW_LISTING_DAYS,
    AdminListing,
    Catalog,
    Member,
    categories_for,
    changed_fields,
    review_queue,
    verification_snapshot,
)
from search_web.admin.jobs import Rebuilder, crawl_command

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _listing(**changes) -> Listing:
    base = Listing(
        id="p-00000000aa",
        name="Ana Ruiz",
        credentials=["MD"],
        specialties=["dermatology"],
        npi="1234567893",
        offers_microneedling=True,
        microneedling_evidence={"quote": "Dr. Ruiz offers SkinPen microneedling.", "url": None},
        locations=[{"street": "100 Congress Ave", "postal_code": "78701", "phone": "+15125550101"}],
        website="https://lakeside-derm.test/",
        first_seen=_iso(NOW - timedelta(days=2)),
        last_seen=_iso(NOW - timedelta(days=2)),
    )
    return replace(base, **changes)


def _member(key: str, reason: str = "npi", score: float = 1.0) -> Member:
    return Member(
        observation_id=abs(hash(key)) % 1000,
        key=key,
        source="practice_site",
        url=None,
        name="Ana Ruiz",
        npi=None,
        reason=reason,
        score=score,
        last_seen=_iso(NOW),
    )


def _override(field: str, value, number: int = 1) -> Override:
    return Override(
        id=number,
        practitioner_id="p-00000000aa",
        field=field,
        value=value,
        author="eli",
        created_at=_iso(NOW),
        reason="",
        active=True,
    )


def _entry(
    listing: Listing | None = None, crawled: Listing | None = None, **changes
) -> AdminListing:
    listing = listing or _listing()
    entry = AdminListing(
        listing=listing,
        crawled=crawled or listing,
        members=[_member("nppes|practitioner|1234567893")],
        overrides=[],
    )
    return replace(entry, **changes)


def test_a_recent_unapproved_listing_is_new_and_an_approved_one_is_not():
    assert "new" in categories_for(_entry(), NOW)
    approved = _entry(overrides=[_override("approved", {"members": ["x"]})])
    assert "new" not in categories_for(approved, NOW)


def test_a_listing_first_seen_long_ago_is_not_new():
    old = _listing(first_seen=_iso(NOW - timedelta(days=NEW_LISTING_DAYS + 1)))
    assert "new" not in categories_for(_entry(old), NOW)


def test_a_fuzzy_link_is_a_low_confidence_merge_until_approved_with_these_members():
    members = [_member("a"), _member("b", reason="name+phone", score=0.9455)]
    entry = _entry(members=members)
    assert "merges" in categories_for(entry, NOW)
    approved = replace(entry, overrides=[_override("approved", {"members": ["a", "b"]})])
    assert "merges" not in categories_for(approved, NOW)
    # A third record joining later changes the membership, so the merge needs a look again.
    grown = replace(approved, members=[*members, _member("c", reason="name+zip", score=0.9)])
    assert "merges" in categories_for(grown, NOW)


def test_an_npi_link_or_a_strong_name_match_is_not_a_low_confidence_merge():
    members = [_member("a"), _member("b", reason="npi"), _member("c", "name+website", 0.99)]
    assert "merges" not in categories_for(_entry(members=members), NOW)


def test_positive_evidence_waits_for_confirmation_and_verify_confirms_that_quote():
    entry = _entry()
    assert "evidence" in categories_for(entry, NOW)
    snapshot = verification_snapshot(entry.crawled)
    verified = replace(entry, overrides=[_override("verified", {"snapshot": snapshot})])
    found = categories_for(verified, NOW)
    assert "evidence" not in found and "changed" not in found


def test_negated_or_missing_evidence_is_not_evidence_to_confirm():
    negated = _listing(offers_microneedling=False, microneedling_evidence=None)
    assert "evidence" not in categories_for(_entry(negated), NOW)
    none = _listing(offers_microneedling=None, microneedling_evidence=None)
    assert "evidence" not in categories_for(_entry(none), NOW)


def test_a_crawled_change_after_verification_lists_the_fields_that_changed():
    verified_snapshot = verification_snapshot(_listing())
    moved = _listing(
        locations=[{"street": "9 Elm St", "postal_code": "78702", "phone": "+15125550109"}]
    )
    entry = _entry(moved, overrides=[_override("verified", {"snapshot": verified_snapshot})])
    assert "changed" in categories_for(entry, NOW)
    assert changed_fields(verified_snapshot, verification_snapshot(moved)) == ["locations"]


def test_stale_reported_and_hidden_listings_have_their_own_queues():
    assert "stale" in categories_for(_entry(_listing(stale=True)), NOW)
    report = Report(1, "p-00000000aa", "wrong-phone", "rings a pizzeria", None, _iso(NOW), "open")
    assert "reports" in categories_for(_entry(reports=[report]), NOW)
    hidden = categories_for(_entry(_listing(hidden=True, stale=True)), NOW)
    assert "hidden" in hidden and "stale" not in hidden


def test_review_queue_counts_everything_and_filters_by_category_and_name():
    ana = _entry()
    ben = _entry(
        _listing(id="p-00000000bb", name="Ben Okafor", offers_microneedling=None, stale=True),
        overrides=[_override("approved", {"members": []})],
    )
    done = _entry(
        _listing(id="p-00000000cc", name="Cara Lin", offers_microneedling=None),
        overrides=[_override("approved", {"members": []})],
    )
    catalog = Catalog(listings={e.id: e for e in (ana, ben, done)}, observation_keys={})
    view = review_queue(catalog, NOW)
    assert [e.id for e, _ in view.entries] == [ana.id, ben.id]  # Cara has nothing to review
    assert view.counts["new"] == 1 and view.counts["stale"] == 1 and view.counts["evidence"] == 1
    assert [e.id for e, _ in review_queue(catalog, NOW, "stale").entries] == [ben.id]
    assert [e.id for e, _ in review_queue(catalog, NOW, None, "okafor").entries] == [ben.id]
    assert review_queue(catalog, NOW, None, ben.id).entries[0][0] is ben


def _form(**changes) -> dict:
    form = {
        "name": "Ana Ruiz",
        "credentials": "MD",
        "website": "https://lakeside-derm.test/",
        "offers_microneedling": "crawled",
    }
    form.update(changes)
    return form


def test_an_unchanged_edit_form_changes_nothing():
    assert parse_edit(_form(), ["dermatology"], _entry()) == []


def test_an_edit_form_reports_only_the_changed_fields_normalised():
    edits = parse_edit(
        _form(name="  Ana   M. Ruiz ", credentials="m.d., faad, MD"),
        ["mohs-surgery", "dermatology"],
        _entry(),
    )
    assert [(e.field, e.value) for e in edits] == [
        ("name", "Ana M. Ruiz"),
        ("credentials", ["MD", "FAAD"]),
        ("specialties", ["dermatology", "mohs-surgery"]),
    ]


@pytest.mark.parametrize(
    ("form", "specialties", "message"),
    [
        (_form(name="  "), ["dermatology"], "needs a name"),
        (_form(), [], "at least one specialty"),
        (_form(), ["podiatry"], "unknown specialty"),
        (_form(website="ftp://lakeside.test/"), ["dermatology"], "http"),
        (_form(offers_microneedling="yes"), ["dermatology"], "as crawled"),
        (_form(credentials="M.D. <script>"), ["dermatology"], "credential"),
    ],
)
def test_bad_edit_forms_are_refused_with_a_reason(form, specialties, message):
    with pytest.raises(ActionError, match=message):
        parse_edit(form, specialties, _entry())


def test_offers_microneedling_can_be_denied_or_returned_to_the_crawled_value():
    denied = parse_edit(_form(offers_microneedling="no"), ["dermatology"], _entry())
    assert [(e.field, e.value) for e in denied] == [("offers_microneedling", False)]
    overridden = _entry(
        _listing(offers_microneedling=False, microneedling_evidence=None),
        crawled=_listing(),
        overrides=[_override("offers_microneedling", False)],
    )
    back = parse_edit(_form(), ["dermatology"], overridden)
    assert [(e.field, e.value) for e in back] == [("offers_microneedling", ...)]


def test_credentials_and_websites_are_normalised_or_refused():
    assert parse_credentials("m.d.; F.A.A.D.") == ["MD", "FAAD"]
    assert parse_website("") is None
    assert parse_website(" https://x.test/ ") == "https://x.test/"
    with pytest.raises(ActionError):
        parse_website("javascript://%0Aalert(1)")


def test_crawl_commands_are_built_from_the_dashboard_form():
    assert crawl_command("practices", {"start_urls": "https://a.test/\n\nhttp://b.test/ "}) == [
        "crawl",
        "practices",
        "--start-url",
        "https://a.test/",
        "--start-url",
        "http://b.test/",
    ]
    assert crawl_command("nppes", {"states": "tx, co", "api_url": ""}) == [
        "crawl",
        "nppes",
        "--state",
        "TX",
        "--state",
        "CO",
    ]
    assert crawl_command("cms", {"cms_source": "/data/dac.csv"}) == [
        "crawl",
        "cms",
        "--source",
        "/data/dac.csv",
    ]


@pytest.mark.parametrize(
    ("source", "form"),
    [
        ("practices", {"start_urls": ""}),
        ("practices", {"start_urls": "file:///etc/passwd"}),
        ("nppes", {"states": "Texas"}),
        ("nppes", {"states": "TX", "api_url": "ftp://x.test/"}),
        ("cms", {}),
        ("directory", {}),
    ],
)
def test_bad_crawl_forms_are_refused(source, form):
    with pytest.raises(ValueError):
        crawl_command(source, form)


def test_requests_during_a_build_coalesce_into_one_more_build(tmp_path):
    started = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def build(data_dir):
        calls.append(len(calls))
        if len(calls) == 1:
            started.set()
            assert release.wait(30)

    rebuilder = Rebuilder(tmp_path, build=build)
    try:
        rebuilder.request()
        assert started.wait(30)
        for _ in range(5):
            rebuilder.request()  # all while the first build runs
        release.set()
        assert rebuilder.wait_idle(30)
        assert len(calls) == 2 and rebuilder.builds == 2 and rebuilder.last_error is None
    finally:
        rebuilder.close()


def test_a_held_build_lock_is_retried_and_a_failure_is_kept_for_the_dashboard(tmp_path):
    outcomes = [BuildInProgress("busy"), None, RuntimeError("disk full")]

    def build(data_dir):
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    rebuilder = Rebuilder(tmp_path, build=build)
    try:
        rebuilder.request()
        assert rebuilder.wait_idle(30)
        assert rebuilder.builds == 1 and rebuilder.last_error is None
        rebuilder.request()
        assert rebuilder.wait_idle(30)
        assert rebuilder.last_error == "RuntimeError: disk full"
    finally:
        rebuilder.close()


def test_touched_listings_are_patched_live_before_the_full_rebuild(tmp_path):
    events: list[tuple] = []

    def refresh(data_dir, listing_ids):
        events.append(("refresh", tuple(listing_ids)))
        if listing_ids == ["p-broken"]:
            raise RuntimeError("no live generation")

    def build(data_dir):
        events.append(("build",))

    rebuilder = Rebuilder(tmp_path, build=build, refresh=refresh)
    try:
        rebuilder.request(["p-b", "p-a", "p-b"])
        assert rebuilder.wait_idle(30)
        assert events == [("refresh", ("p-a", "p-b")), ("build",)]
        events.clear()
        rebuilder.request(["p-broken"])  # a failed patch still leaves the full build to publish
        assert rebuilder.wait_idle(30)
        assert events == [("refresh", ("p-broken",)), ("build",)]
        assert rebuilder.last_error is None
    finally:
        rebuilder.close()


def test_a_location_whose_city_is_not_its_zips_is_queued_until_verified():
    from index.materialise import CITY_AS_CRAWLED

    flagged = _listing(
        locations=[
            {"street": "2875 Bee Cave Hollow", "city": "Austin", "postal_code": "78746",
             CITY_AS_CRAWLED: "Road Austin, TX"}
        ]
    )  # fmt: skip
    assert "addresses" in categories_for(_entry(flagged), NOW)
    assert "addresses" not in categories_for(_entry(_listing()), NOW)
    snapshot = verification_snapshot(flagged)
    verified = _entry(flagged, overrides=[_override("verified", {"snapshot": snapshot})])
    assert "addresses" not in categories_for(verified, NOW)
