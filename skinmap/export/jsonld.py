"""JSON-LD: `{"@context": "https://schema.org", "@graph": [Physician, ...]}`. A Physician carries name,
url/@id (the profile page), identifier (NPI as a PropertyValue), medicalSpecialty
(schema.org MedicalSpecialty names), address (PostalAddress list), telephone, geo
(GeoCoordinates list), and - only when the directory holds a positive quote -
availableService: a MedicalProcedure "Microneedling" whose subjectOf is the WebPage the quote
was taken from (url, text = the verbatim quote, lastReviewed = when it was seen).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from index.records import Listing
from skinmap.export.reader import profile_url

# schema.org MedicalSpecialty enumeration members for our specialty slugs.
SCHEMA_ORG_SPECIALTY = {
    "dermatology": "Dermatology",
    "mohs-surgery": "Dermatology",
    "plastic-surgery": "PlasticSurgery",
    "facial-plastic-surgery": "PlasticSurgery",
    "cosmetic-surgery": "PlasticSurgery",
    "oculoplastic-surgery": "PlasticSurgery",
}


def physician_node(listing: Listing, base_url: str = "") -> dict[str, Any]:
    """One listing as a schema.org Physician."""
    url = profile_url(listing, base_url)
    node: dict[str, Any] = {"@type": "Physician", "@id": url, "name": listing.name, "url": url}
    if listing.credentials:
        node["alternateName"] = ", ".join([listing.name, *listing.credentials])
    if listing.npi:
        node["identifier"] = {"@type": "PropertyValue", "propertyID": "NPI", "value": listing.npi}
    specialties = list(
        dict.fromkeys(
            SCHEMA_ORG_SPECIALTY[slug]
            for slug in listing.specialties
            if slug in SCHEMA_ORG_SPECIALTY
        )
    )
    if specialties:
        node["medicalSpecialty"] = specialties
    addresses, phones, points = [], [], []
    for location in listing.locations:
        address = {
            "@type": "PostalAddress",
            "streetAddress": location.get("street"),
            "addressLocality": location.get("city"),
            "addressRegion": location.get("state"),
            "postalCode": location.get("postal_code"),
            "addressCountry": "US",
        }
        addresses.append({key: value for key, value in address.items() if value is not None})
        if location.get("phone") and location["phone"] not in phones:
            phones.append(location["phone"])
        if location.get("lat") is not None and location.get("lon") is not None:
            points.append(
                {
                    "@type": "GeoCoordinates",
                    "latitude": location["lat"],
                    "longitude": location["lon"],
                }
            )
    if addresses:
        node["address"] = addresses
    if phones:
        node["telephone"] = phones
    if points:
        node["geo"] = points
    if listing.website:
        node["sameAs"] = listing.website
    evidence = listing.microneedling_evidence or {}
    # Only a positive, quoted claim becomes a service; "no evidence" and "no longer offered" say nothing.
    if listing.offers_microneedling is True and evidence.get("quote"):
        page: dict[str, Any] = {"@type": "WebPage", "text": evidence["quote"]}
        if evidence.get("url"):
            page["url"] = evidence["url"]
        if evidence.get("seen_at"):
            page["lastReviewed"] = evidence["seen_at"][:10]
        node["availableService"] = {
            "@type": "MedicalProcedure",
            "name": "Microneedling",
            "alternateName": "Collagen induction therapy",
            "subjectOf": page,
        }
    return node


def write_jsonld(listings: Iterable[Listing], stream: TextIO, base_url: str = "") -> int:
    """A JSON-LD document with an @graph of Physicians, written node by node."""
    stream.write('{\n  "@context": "https://schema.org",\n  "@graph": [')
    count = 0
    for listing in listings:
        stream.write(",\n    " if count else "\n    ")
        stream.write(json.dumps(physician_node(listing, base_url), ensure_ascii=False))
        count += 1
    stream.write("\n  ]\n}\n")
    return count
