from crawler.items import PracticeItem, PractitionerItem


def test_unknown_payload_keys_survive_in_the_observation():
    item = PractitionerItem.from_payload(
        {"name": "Ana Ruiz", "npi": "1234567893", "pac_id": "42"},
        source="cms",
        source_key="1234567893",
    )
    observation = item.to_observation()
    assert (observation.source, observation.kind, observation.source_key) == (
        "cms",
        "practitioner",
        "1234567893",
    )
    assert observation.payload["pac_id"] == "42" and observation.payload["name"] == "Ana Ruiz"
    assert "source" not in observation.payload and "extra" not in observation.payload
    observation.validate()


def test_payload_is_a_copy_not_an_alias():
    item = PracticeItem(
        source="practice_site", source_key="http://a.test/", name="A", staff=[{"name": "X"}]
    )
    item.to_observation().payload["staff"].append({"name": "Y"})
    assert item.staff == [{"name": "X"}]


def test_fetched_at_is_iso_utc():
    stamp = PracticeItem(name="A").fetched_at
    assert stamp.endswith("Z") and stamp[10] == "T"
