"""HSDS 3.0 JSON: the rows of an `HsdsDataset` nested into the specification's documents, as its
compiled schemas describe them (schema/compiled/service.json, organization.json,
service_at_location.json and their `_list` forms). HSDS JSON is published dereferenced: a service
embeds its organization and its service_at_locations, each with the location, its addresses and
phones; an organization embeds its services, locations and identifiers. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from search_web.opendata.hsds_model import HsdsDataset


class HsdsDocuments:
    """Lookups over one dataset (built once per generation), and the documents built from them."""

    def __init__(self, dataset: HsdsDataset) -> None:
        self.dataset = dataset
        self.organizations = dataset.by_id("organization")
        self.services = dataset.by_id("service")
        self.locations = dataset.by_id("location")
        self.service_at_locations = dataset.by_id("service_at_location")
        self.taxonomy_terms = dataset.by_id("taxonomy_term")
        self._children: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for table, key in (
            ("address", "location_id"),
            ("phone", "location_id"),
            ("service_at_location", "service_id"),
            ("service", "organization_id"),
            ("location", "organization_id"),
            ("organization_identifier", "organization_id"),
            ("attribute", "link_id"),
            ("metadata", "resource_id"),
        ):
            for row in dataset.rows(table):
                self._children[(table, row[key])].append(row)

    def _of(self, table: str, parent_id: str) -> list[dict[str, Any]]:
        return [dict(row) for row in self._children.get((table, parent_id), [])]

    def _attributes(self, parent_id: str) -> list[dict[str, Any]]:
        attributes = []
        for row in self._of("attribute", parent_id):
            term = self.taxonomy_terms.get(row.get("taxonomy_term_id", ""))
            attributes.append({**row, **({"taxonomy_term": dict(term)} if term else {})})
        return attributes

    def location(self, location_id: str) -> dict[str, Any]:
        row = self.locations[location_id]
        return {
            **row,
            "addresses": [
                {**address, "metadata": self._of("metadata", address["id"])}
                for address in self._of("address", location_id)
            ],
            "phones": [
                {**phone, "metadata": self._of("metadata", phone["id"])}
                for phone in self._of("phone", location_id)
            ],
            "metadata": self._of("metadata", location_id),
        }

    def organization_list_item(self, organization_id: str) -> dict[str, Any]:
        return dict(self.organizations[organization_id])

    def service_list_item(self, service_id: str) -> dict[str, Any]:
        row = self.services[service_id]
        return {**row, "organization": self.organization_list_item(row["organization_id"])}

    def _service_at_location(self, link: dict[str, Any]) -> dict[str, Any]:
        return {**link, "location": self.location(link["location_id"])}

    def service(self, service_id: str, with_organization: bool = True) -> dict[str, Any]:
        """The fully nested service document (compiled/service.json)."""
        row = self.services[service_id]
        document = {
            **row,
            "service_at_locations": [
                self._service_at_location(link)
                for link in self._of("service_at_location", row["id"])
            ],
            "attributes": self._attributes(service_id),
            "metadata": self._of("metadata", service_id),
        }
        if with_organization:
            document["organization"] = self.organization_list_item(row["organization_id"])
        return document

    def organization(self, organization_id: str, full_service: bool = True) -> dict[str, Any]:
        """The fully nested organization document (compiled/organization.json)."""
        row = self.organizations[organization_id]
        services = [
            self.service(service["id"], with_organization=False)
            if full_service
            else {key: service[key] for key in ("id", "name", "status")}
            for service in self._children.get(("service", organization_id), [])
        ]
        return {
            **row,
            "services": services,
            "locations": [
                self.location(location["id"])
                for location in self._children.get(("location", organization_id), [])
            ],
            "organization_identifiers": [
                {**identifier, "metadata": self._of("metadata", identifier["id"])}
                for identifier in self._of("organization_identifier", organization_id)
            ],
            "metadata": self._of("metadata", organization_id),
        }

    def service_at_location_list_item(self, link_id: str) -> dict[str, Any]:
        link = self.service_at_locations[link_id]
        return {
            **link,
            "service": self.service_list_item(link["service_id"]),
            "location": dict(self.locations[link["location_id"]]),
        }

    def service_at_location(self, link_id: str) -> dict[str, Any]:
        """The fully nested service_at_location document (compiled/service_at_location.json)."""
        link = self.service_at_locations[link_id]
        return {
            **link,
            "service": self.service(link["service_id"]),
            "location": self.location(link["location_id"]),
            "metadata": self._of("metadata", link_id),
        }

    def organization_package(self) -> list[dict[str, Any]]:
        """Every organization, fully nested: the whole dataset as one JSON array."""
        return [self.organization(org_id) for org_id in self.organizations]
