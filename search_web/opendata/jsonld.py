"""A listing as schema.org linked data: the one builder behind the profile page's JSON-LD and
`skinmap export --format jsonld`.

Nodes (every `@id` absolute):
  practitioner  IndividualPhysician `<base>/practitioners/<id>#practitioner`: name (with the
                credentials, as on the page), url (the profile), usNPI and identifier (NPI),
                sameAs only the NPPES record of that NPI, medicalSpecialty (schema.org members, as
                IRIs), practicesAt its offices, and - only with a positive quote - availableService
                Microneedling whose subjectOf is the page the quote was taken from.
  office        MedicalClinic `urn:uuid:<HSDS location id>` (the same id the HSDS exports give the
                office, shared by everyone who works there): its own address, geo and telephone,
                parentOrganization the practice.
  practice      MedicalOrganization `urn:uuid:<HSDS organization id>` with its name and website.
Pure; the base URL is the caller's (SKINMAP_BASE_URL, --base-url, or the request's own root).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from index.records import Listing
from search_web.opendata.hsds_model import display_name, hsds_id, norm, office_key

CONTEXT = "https://schema.org"
NPPES_RECORD = "https://npiregistry.cms.hhs.gov/provider-view/{npi}"
SCHEMA_ORG_SPECIALTY = {
    "dermatology": "Dermatology",
    "mohs-surgery": "Dermatology",
    "plastic-surgery": "PlasticSurgery",
    "facial-plastic-surgery": "PlasticSurgery",
    "cosmetic-surgery": "PlasticSurgery",
    "oculoplastic-surgery": "PlasticSurgery",
}


class BadBaseUrl(ValueError):
    """The base URL is not an absolute http(s) URL, so ids would not be absolute."""


def checked_base(base_url: str) -> str:
    """The base URL without a trailing slash; raises BadBaseUrl unless absolute http(s)."""
    parts = urlsplit((base_url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadBaseUrl(
            f"linked-data ids must be absolute: give a base URL such as https://skinmap.example "
            f"(got {base_url!r})"
        )
    return base_url.strip().rstrip("/")


def _http(url: str | None) -> str | None:
    if not url or any(ord(ch) < 0x21 or ch in "\"'<>\\`" for ch in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def practitioner_id(listing: Listing, base: str) -> str:
    return f"{base}/practitioners/{listing.id}#practitioner"


def listing_nodes(listing: Listing, base_url: str) -> list[dict[str, Any]]:
    """The practitioner node first, then one node per office and per practice."""
    base = checked_base(base_url)
    page = f"{base}/practitioners/{listing.id}"
    person: dict[str, Any] = {
        "@id": practitioner_id(listing, base),
        "@type": "IndividualPhysician",
        "name": display_name(listing),
        "url": page,
        "mainEntityOfPage": {"@id": page},
    }
    if listing.npi:
        person["usNPI"] = listing.npi
        person["identifier"] = {"@type": "PropertyValue", "propertyID": "NPI", "value": listing.npi}
        person["sameAs"] = NPPES_RECORD.format(npi=listing.npi)
    specialties = dict.fromkeys(
        SCHEMA_ORG_SPECIALTY[slug] for slug in listing.specialties if slug in SCHEMA_ORG_SPECIALTY
    )
    if specialties:
        person["medicalSpecialty"] = [{"@id": f"https://schema.org/{name}"} for name in specialties]
    offices: list[dict[str, Any]] = []
    practices: dict[str, dict[str, Any]] = {}
    for location in listing.locations:
        office_id = f"urn:uuid:{hsds_id('location', office_key(listing, location))}"
        if any(office["@id"] == office_id for office in offices):
            continue
        office: dict[str, Any] = {"@id": office_id, "@type": "MedicalClinic"}
        practice = (location.get("practice") or "").strip()
        if practice:
            office["name"] = practice
            state = (location.get("state") or "").upper()
            practice_id = (
                f"urn:uuid:{hsds_id('organization', f'practice|{norm(practice)}|{state}')}"
            )
            office["parentOrganization"] = {"@id": practice_id}
            node = practices.setdefault(
                practice_id,
                {"@id": practice_id, "@type": "MedicalOrganization", "name": practice},
            )
            website = _http(listing.website)
            if website:
                node.setdefault("url", website)
        address = {
            "@type": "PostalAddress",
            "streetAddress": location.get("street"),
            "addressLocality": location.get("city"),
            "addressRegion": location.get("state"),
            "postalCode": location.get("postal_code"),
            "addressCountry": "US",
        }
        office["address"] = {key: value for key, value in address.items() if value}
        if location.get("lat") is not None and location.get("lon") is not None:
            office["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": location["lat"],
                "longitude": location["lon"],
            }
        if location.get("phone"):
            office["telephone"] = location["phone"]
        offices.append(office)
    if offices:
        person["practicesAt"] = [{"@id": office["@id"]} for office in offices]
    evidence = listing.microneedling_evidence or {}
    # No quote, no claim: "no evidence" and "no longer offered" say nothing about the service.
    if listing.offers_microneedling is True and evidence.get("quote"):
        service: dict[str, Any] = {
            "@type": "MedicalProcedure",
            "name": "Microneedling",
            "alternateName": "Collagen induction therapy",
        }
        source = _http(evidence.get("url"))
        if source:
            quoted: dict[str, Any] = {
                "@id": source,
                "@type": "WebPage",
                "url": source,
                "text": evidence["quote"],
            }
            if evidence.get("seen_at"):
                quoted["lastReviewed"] = evidence["seen_at"][:10]
            service["subjectOf"] = quoted
        person["availableService"] = service
    return [person, *offices, *practices.values()]


def listing_document(listing: Listing, base_url: str) -> dict[str, Any]:
    """The profile page's JSON-LD: one listing's nodes in a graph."""
    return {"@context": CONTEXT, "@graph": listing_nodes(listing, base_url)}


class GraphNodes:
    """Collects nodes for a whole-directory graph: an office or practice shared by several
    practitioners is one node, its properties filled from whoever lists it first."""

    def __init__(self) -> None:
        self._nodes: dict[str, dict[str, Any]] = {}

    def add(self, nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            known = self._nodes.setdefault(node["@id"], node)
            for key, value in node.items():
                known.setdefault(key, value)

    def nodes(self) -> list[dict[str, Any]]:
        return list(self._nodes.values())
