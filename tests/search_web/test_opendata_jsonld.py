"""Linked data: the profile page and the export give the same schema.org nodes from one function,
pyld expands them offline (with our own small context standing in for https://schema.org) and
every @id is absolute; offices are nodes of their own, shared by everyone who works there."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pyld import jsonld

from index.published import published_listings, published_path, published_version
from index.records import Listing
from search_web.app import WebSettings, create_app
from search_web.opendata.jsonld import BadBaseUrl, GraphNodes, listing_document, listing_nodes
from tests.search_web.conftest import TestClient
from tests.search_web.test_public import parts

CONTEXT_FILE = Path(__file__).resolve().parents[2] / "data" / "jsonld" / "schema-org-context.jsonld"
OFFICE = {
    "practice": "Lakeside Dermatology",
    "street": "100 Congress Ave",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
    "phone": "+15125550101",
    "lat": 30.27,
    "lon": -97.74,
}
HILL = dict(OFFICE, practice="Hill Skin", street="7 Ridge Rd", phone="+15125550104", lat=30.3)


def offline_loader(url: str, options: dict | None = None) -> dict:
    """pyld's document loader with no network: only the schema.org context, from our file."""
    if url.rstrip("/") not in ("https://schema.org", "http://schema.org"):
        raise AssertionError(f"pyld tried to fetch {url}")
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(CONTEXT_FILE.read_text(encoding="utf-8")),
    }


def expanded(document: dict) -> list:
    return jsonld.expand(document, {"documentLoader": offline_loader})


def all_ids(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["@id"]] if isinstance(value.get("@id"), str) else []
        return found + [i for item in value.values() for i in all_ids(item)]
    if isinstance(value, list):
        return [i for item in value for i in all_ids(item)]
    return []


def _ana(**changes) -> Listing:
    listing = Listing(
        id="p-0000000001",
        name="Ana Ruiz",
        credentials=["MD"],
        specialties=["dermatology"],
        npi="1234567893",
        offers_microneedling=True,
        microneedling_evidence={
            "quote": "We offer microneedling.",
            "url": "https://lake.test/mn",
            "seen_at": "2026-11-20T10:00:00Z",
        },
        locations=[OFFICE, HILL],
        website="javascript:alert(1)",
    )
    for key, value in changes.items():
        setattr(listing, key, value)
    return listing


def test_expanded_with_pyld_every_id_is_absolute():
    result = expanded(listing_document(_ana(), "https://sm.test"))
    ids = all_ids(result)
    assert len(ids) >= 6  # person, two offices, two practices, the quoted page, links
    assert all(urlsplit(i).scheme in ("https", "urn") for i in ids), ids
    person = next(n for n in result if "https://schema.org/IndividualPhysician" in n["@type"])
    assert person["https://schema.org/usNPI"] == [{"@value": "1234567893"}]
    assert person["https://schema.org/sameAs"] == [
        {"@id": "https://npiregistry.cms.hhs.gov/provider-view/1234567893"}
    ]


def test_a_relative_base_url_is_refused_rather_than_publishing_relative_ids():
    with pytest.raises(BadBaseUrl):
        listing_nodes(_ana(), "/")


def test_each_office_is_its_own_node_with_its_own_phone_address_and_point():
    person, *others = listing_nodes(_ana(), "https://sm.test")
    offices = [node for node in others if node["@type"] == "MedicalClinic"]
    assert [o["telephone"] for o in offices] == ["+15125550101", "+15125550104"]
    assert [o["address"]["streetAddress"] for o in offices] == ["100 Congress Ave", "7 Ridge Rd"]
    assert [o["geo"]["latitude"] for o in offices] == [30.27, 30.3]
    assert person["practicesAt"] == [{"@id": o["@id"]} for o in offices]
    practices = {n["@id"]: n for n in others if n["@type"] == "MedicalOrganization"}
    assert {o["parentOrganization"]["@id"] for o in offices} == set(practices)
    # sameAs names the person (their NPPES record), never the practice's (here unsafe) website.
    assert person["sameAs"].startswith("https://npiregistry.cms.hhs.gov/")
    assert "javascript" not in json.dumps([person, *others])


def test_two_practitioners_at_one_office_share_one_office_node():
    graph = GraphNodes()
    graph.add(listing_nodes(_ana(locations=[OFFICE]), "https://sm.test"))
    nina = _ana(id="p-0000000002", name="Nina Park", npi=None, locations=[dict(OFFICE)])
    graph.add(listing_nodes(nina, "https://sm.test"))
    offices = [node for node in graph.nodes() if node["@type"] == "MedicalClinic"]
    assert len(offices) == 1
    people = [node for node in graph.nodes() if node["@type"] == "IndividualPhysician"]
    assert [p["practicesAt"] for p in people] == [[{"@id": offices[0]["@id"]}]] * 2


def test_no_quote_no_service():
    person = listing_nodes(_ana(microneedling_evidence=None), "https://sm.test")[0]
    assert "availableService" not in person


def test_the_profile_page_embeds_exactly_what_the_export_builds(
    client, listing_ids, built_data_dir
):
    listing_id = listing_ids["Ana Ruiz"]
    [block] = parts(client.get(f"/practitioners/{listing_id}").text).jsonld
    live = published_version(built_data_dir)
    assert live is not None
    [listing] = [
        listing
        for listing in published_listings(published_path(built_data_dir, live[0]))
        if listing.id == listing_id
    ]
    assert json.loads(block) == listing_document(listing, "http://testserver")
    ids = all_ids(expanded(json.loads(block)))
    assert ids and all(urlsplit(i).scheme in ("http", "https", "urn") for i in ids)


def test_skinmap_base_url_sets_the_ids_on_pages_and_the_hsds_service_urls(
    built_data_dir, listing_ids
):
    settings = WebSettings.from_env(
        {"SKINMAP_DATA_DIR": str(built_data_dir), "SKINMAP_BASE_URL": "https://skinmap.example/"}
    )
    assert settings.base_url == "https://skinmap.example"
    with TestClient(create_app(settings)) as client:
        listing_id = listing_ids["Ana Ruiz"]
        [block] = parts(client.get(f"/practitioners/{listing_id}").text).jsonld
        ids = all_ids(expanded(json.loads(block)))
        assert f"https://skinmap.example/practitioners/{listing_id}#practitioner" in ids
        assert not [i for i in ids if i.startswith("http://testserver")]
        services = client.get("/hsds/services", params={"per_page": "100"}).json()["contents"]
        assert services and all(
            s["url"].startswith("https://skinmap.example/practitioners/") for s in services
        )
