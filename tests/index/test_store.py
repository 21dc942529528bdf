"""The SQLite system of record: upserts, runs, migrations, overrides, reports and the audit log."""

from __future__ import annotations

import sqlite3

import pytest

from index.migrations import MIGRATIONS
from index.records import InvalidObservation
from index.store import Store, StoreError
from tests.index.conftest import practitioner


def test_reobserving_keeps_first_seen_and_moves_last_seen(store):
    run = store.start_run("nppes", {"states": ["TX"]})
    store.record_observation(run, practitioner(fetched_at="2026-01-01T00:00:00Z"))
    store.record_observation(
        run, practitioner(name="Ana Ruiz-Lee", fetched_at="2026-03-01T00:00:00Z")
    )

    (stored,) = store.observations()
    assert stored.first_seen == "2026-01-01T00:00:00Z"
    assert stored.last_seen == "2026-03-01T00:00:00Z"
    assert stored.observation.payload["name"] == "Ana Ruiz-Lee"


def test_replaying_an_older_crawl_does_not_move_last_seen_backwards(store):
    run = store.start_run("nppes", {})
    store.record_observation(run, practitioner(fetched_at="2026-03-01T00:00:00Z"))
    store.record_observation(run, practitioner(fetched_at="2026-01-01T00:00:00Z"))

    (stored,) = store.observations()
    assert (stored.first_seen, stored.last_seen) == ("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z")


def test_observations_filter_by_kind(store):
    run = store.start_run("nppes", {})
    store.record_observation(run, practitioner())
    assert len(store.observations("practitioner")) == 1
    assert store.observations("practice") == []


def test_invalid_observation_is_refused_and_nothing_is_written(store):
    run = store.start_run("practices", {})
    bad = practitioner()
    bad.payload["evidence"] = [{"procedure": "microneedling", "quote": "  "}]
    with pytest.raises(InvalidObservation):
        store.record_observation(run, bad)
    assert store.observations() == []


def test_a_crawl_run_records_its_outcome_and_rejections(store):
    run = store.start_run("practices", {"start_urls": ["https://a.test/"]})
    store.record_rejection(run, "no name", "https://a.test/team")
    store.finish_run(run, "finished", {"items": 3}, ["timeout on /x"])

    (recorded,) = store.runs()
    assert recorded.status == "finished"
    assert recorded.stats == {"items": 3}
    assert recorded.errors == ["timeout on /x"]
    assert recorded.args == {"start_urls": ["https://a.test/"]}
    assert store.rejections(run)[0]["reason"] == "no name"


def test_finishing_with_an_unknown_status_or_run_fails(store):
    run = store.start_run("nppes", {})
    with pytest.raises(StoreError):
        store.finish_run(run, "done", {}, [])
    with pytest.raises(StoreError):
        store.finish_run(run + 99, "finished", {}, [])


def test_store_uses_wal_and_foreign_keys(store):
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("foreign_keys") == 1


def test_migrations_are_idempotent_across_reopen(data_dir):
    first = Store(data_dir / "store.sqlite3")
    first.record_observation(first.start_run("nppes", {}), practitioner())
    assert first.migrate() == len(MIGRATIONS)
    first.close()

    second = Store(data_dir / "store.sqlite3")
    try:
        assert second.schema_version() == len(MIGRATIONS)
        assert len(second.observations()) == 1
        rows = sqlite3.connect(data_dir / "store.sqlite3").execute(
            "SELECT COUNT(*) FROM schema_version"
        )
        assert rows.fetchone()[0] == len(MIGRATIONS)
    finally:
        second.close()


def test_failed_write_rolls_back_the_whole_transaction(store):
    run = store.start_run("nppes", {})
    store.record_observation(run, practitioner())
    observation_id = store.observations()[0].id
    # The second link points at an observation that does not exist: foreign keys reject it, and
    # the practitioner row written earlier in the same transaction must vanish with it.
    with pytest.raises(sqlite3.IntegrityError):
        store.replace_clusters(
            [
                (
                    "p-aaaaaaaaaa",
                    "npi:1",
                    [(observation_id, "npi", 1.0), (observation_id + 50, "x", 1.0)],
                )
            ]
        )
    assert store.practitioner_ids() == []
    assert store.practitioner_links() == {}


def test_overrides_are_audited_and_can_be_deactivated(store):
    override_id = store.add_override("p-0123456789", "hidden", True, "admin@skinmap.test", "asked")
    (override,) = store.overrides_for("p-0123456789")
    assert (override.field, override.value, override.active) == ("hidden", True, True)

    store.deactivate_override(override_id, "admin@skinmap.test", "mistake")
    assert store.overrides_for("p-0123456789") == []
    assert len(store.overrides_for("p-0123456789", include_inactive=True)) == 1
    actions = [entry.action for entry in store.audit_log("p-0123456789")]
    assert actions == ["override.add", "override.deactivate"]


def test_patient_reports_are_stored_open_and_can_be_resolved(store):
    report_id = store.add_report("p-0123456789", "wrong_info", "Moved to a new office", None)
    assert [r.status for r in store.reports("open")] == ["open"]
    store.set_report_status(report_id, "resolved", "admin@skinmap.test", "fixed")
    assert store.reports("open") == []
    assert store.audit_log(f"report:{report_id}")[0].after == "resolved"


def test_audit_entries_keep_before_and_after(store):
    store.audit(
        "admin@skinmap.test", "listing.edit", "p-0123456789", {"name": "A"}, {"name": "B"}, "typo"
    )
    (entry,) = store.audit_log()
    assert (entry.before, entry.after, entry.why) == ({"name": "A"}, {"name": "B"}, "typo")


def test_two_connections_writing_at_once_both_succeed(data_dir):
    import threading

    stores = [Store(data_dir / "store.sqlite3") for _ in range(2)]
    errors: list[Exception] = []

    def write(store, offset):
        try:
            run = store.start_run("nppes", {})
            for n in range(25):
                store.record_observation(
                    run, practitioner(npi=None, source="cms", source_key=str(offset + n))
                )
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(s, i * 100)) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert len(stores[0].observations()) == 50
    finally:
        for store in stores:
            store.close()


def test_a_delivery_applied_before_is_skipped_and_a_bad_batch_writes_nothing(store):
    first = practitioner(fetched_at="2026-11-01T00:00:00Z")
    again = practitioner(fetched_at="2026-11-20T00:00:00Z")
    assert store.record_deliveries(None, [("d-1", first)]) == 1
    assert store.record_deliveries(None, [("d-1", again), ("d-2", again)]) == 1
    (stored,) = store.observations()
    assert stored.last_seen == "2026-11-20T00:00:00Z"  # d-2 applied, the repeated d-1 skipped
    assert store.delivery_count() == 2
    bad = practitioner()
    bad.payload["name"] = ""
    with pytest.raises(InvalidObservation):
        store.record_deliveries(None, [("d-3", first), ("d-4", bad)])
    assert store.delivery_count() == 2
