"""JSON-LD: the directory as one schema.org graph, `{"@context": "https://schema.org", "@graph":
[...]}`, built by `search_web.opendata.jsonld` (the same function as the profile pages): a node
per practitioner, per office (shared by everyone there) and per practice, every `@id` absolute
under the base URL (--base-url or SKINMAP_BASE_URL, required). Shared nodes are merged before
writing, so the graph is held in memory (a few small nodes per listing)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from index.records import Listing
from search_web.opendata.jsonld import CONTEXT, GraphNodes, checked_base, listing_nodes


def write_jsonld(listings: Iterable[Listing], stream: TextIO, base_url: str) -> int:
    """A JSON-LD document of the whole graph; returns the number of listings written. Raises
    BadBaseUrl (before writing anything) unless base_url is an absolute http(s) URL."""
    base = checked_base(base_url)
    graph = GraphNodes()
    count = 0
    for listing in listings:
        graph.add(listing_nodes(listing, base))
        count += 1
    stream.write(f'{{\n  "@context": {json.dumps(CONTEXT)},\n  "@graph": [')
    for number, node in enumerate(graph.nodes()):
        stream.write(",\n    " if number else "\n    ")
        stream.write(json.dumps(node, ensure_ascii=False))
    stream.write("\n  ]\n}\n")
    return count
