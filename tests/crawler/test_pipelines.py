import json

import pytest
from scrapy.utils.test import get_crawler

from crawler.items import PracticeItem, PractitionerItem
from crawler.pipelines import JsonLinesPipeline, RejectedItem, ValidatePipeline, rejection_reason

GOOD_EVIDENCE = {"procedure": "microneedling", "term": "SkinPen", "quote": "We offer SkinPen.", "url": "u",
                 "seen_at": "s", "negated": False, "scope": "practice", "price": None}  # fmt: skip


def _physician(**changes):
    fields = dict(source="practice_site", source_key="http://a.test/#ana ruiz", name="Ana Ruiz",
                  credentials=["MD"], is_physician=True, role="physician", evidence=[GOOD_EVIDENCE])  # fmt: skip
    fields.update(changes)
    return PractitionerItem(**fields)


def test_a_complete_physician_is_accepted():
    assert rejection_reason(_physician()) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"name": " "}, "no_name"),
        ({"source_key": ""}, "no_source_key"),
        ({"npi": "1234567890"}, "bad_npi"),
        ({"website": "javascript:alert(1)"}, "bad_website"),
        ({"evidence": [dict(GOOD_EVIDENCE, quote="")]}, "evidence_without_quote"),
        ({"specialties": ["astrology"]}, "unknown_specialty"),
        ({"is_physician": False, "role": "aesthetician"}, "not_a_physician"),
        ({"source": "made_up"}, "contract"),
    ],
)
def test_contract_breaches_are_rejected_with_a_reason(changes, reason):
    assert rejection_reason(_physician(**changes)) == reason


def test_a_practice_with_staff_only_is_fine():
    item = PracticeItem(source="practice_site", source_key="http://a.test/", name="Glow",
                        staff=[{"name": "Lia Moss", "credentials": ["LE"], "role": "aesthetician", "is_physician": False}])  # fmt: skip
    assert rejection_reason(item) is None


def test_validate_pipeline_counts_rejections_by_reason():
    crawler = get_crawler()
    crawler.stats.open_spider()
    pipeline = ValidatePipeline.from_crawler(crawler)
    assert pipeline.process_item(_physician()) is not None
    with pytest.raises(RejectedItem) as caught:
        pipeline.process_item(_physician(npi="1234567890"))
    assert caught.value.reason == "bad_npi"
    assert crawler.stats.get_value("skinmap/rejected/bad_npi") == 1
    assert crawler.stats.get_value("skinmap/accepted") == 1


def test_json_lines_pipeline_writes_observations(tmp_path):
    crawler = get_crawler(settings_dict={"SKINMAP_ITEMS_JSONL": str(tmp_path / "items.jsonl")})
    pipeline = JsonLinesPipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(_physician())
    pipeline.close_spider()
    [line] = (tmp_path / "items.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["kind"] == "practitioner" and record["payload"]["credentials"] == ["MD"]


def test_store_pipeline_records_observations_and_rejections_in_the_store(tmp_path):
    from crawler.pipelines import StorePipeline
    from index.store import Store

    store = Store(tmp_path / "store.sqlite3")
    run_id = store.start_run("practices", {})
    store.close()
    crawler = get_crawler(
        settings_dict={"SKINMAP_DATA_DIR": str(tmp_path), "SKINMAP_RUN_ID": run_id}
    )
    crawler.stats.open_spider()
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(_physician())
    pipeline.process_item(_physician())  # the same key again: upserted, not duplicated
    pipeline.item_dropped(_physician(npi="1234567890"), None, RejectedItem("bad_npi"))
    pipeline.close_spider()
    store = Store(tmp_path / "store.sqlite3")
    try:
        [stored] = store.observations()
        assert (
            stored.observation.source_key == "http://a.test/#ana ruiz" and stored.run_id == run_id
        )
        assert [r["reason"] for r in store.rejections(run_id)] == ["bad_npi"]
    finally:
        store.close()
