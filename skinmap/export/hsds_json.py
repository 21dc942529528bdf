"""HSDS JSON (`--format hsds-json`): the directory as one JSON array of fully nested HSDS 3.0
organization documents (each item valid against the specification's compiled organization.json:
its services with their service_at_locations and locations, its offices, its identifiers). The
rows come from the same model as the CSV package and the `/hsds/` API."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from index.records import Listing
from search_web.opendata.hsds_documents import HsdsDocuments
from search_web.opendata.hsds_model import build_dataset


def write_hsds_json(listings: Iterable[Listing], stream: TextIO, base_url: str = "") -> int:
    """Write the organization documents, one array item per line; returns the listings read."""
    people = list(listings)
    documents = HsdsDocuments(build_dataset(people, base_url))
    stream.write("[")
    for number, organization_id in enumerate(documents.organizations):
        stream.write(",\n" if number else "\n")
        stream.write(json.dumps(documents.organization(organization_id), ensure_ascii=False))
    stream.write("\n]\n")
    return len(people)
