"""The second baseline: tantivy (the Rust Lucene-like library, `tantivy` on PyPI) used the way a
competent tantivy user would, on the same data and the same query semantics as index.search.

- Text: `name` and `text` fields (frequencies, no positions: no query uses phrases), analysed by
  one registered analyzer (`\\w+`, lower case, English stop words, English stemmer) that also cuts
  the patient's words at query time; every word must match the name (boosted as in
  benchmarks.fts5_baseline) or the text; BM25 orders the matches. Lay terms for microneedling become
  the "offers it" filter (index.query.parse_patient_text) and, as for FTS5, are written into the
  text of offering listings.
- Filters: `specialty` (raw terms), `offers` (an indexed unsigned), both term queries.
- Place: `lat` and `lon` as indexed fast fields; a range on each (the radius's bounding box) finds
  the candidates inside tantivy, then their coordinates come from the fast fields and exact
  great-circle distance keeps those inside the radius and orders them (ties on rowid).
  Synthetic listings have one location each; a directory with several per listing would index one
  tantivy document per location (not needed for this data).
- Without text or place: rowid order (a fast field), as the FTS5 baseline does.
- Hydration: the listing's JSON body is a stored field; only the page's documents are read, and
  turned into JSON-ready results exactly as index.search does (Listing.to_result).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import tantivy

from benchmarks.fts5_baseline import MILES_PER_DEGREE_LAT, NAME_WEIGHT, TEXT_WEIGHT
from index.geo import haversine_miles, place_for, warm_gazetteer
from index.query import lay_terms, parse_patient_text
from index.records import Listing
from index.schema import TOKEN_PATTERN, document_for, lay_text

ANALYZER = "skinmap_en"
WRITER_HEAP_BYTES = 256_000_000  # the same memory budget as the Whoosh writer (index.build)


def analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("rowid", indexed=False, fast=True)
    builder.add_text_field("name", tokenizer_name=ANALYZER, index_option="freq")
    builder.add_text_field("text", tokenizer_name=ANALYZER, index_option="freq")
    builder.add_text_field("specialty", tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("offers", indexed=True)
    builder.add_float_field("lat", indexed=True, fast=True)
    builder.add_float_field("lon", indexed=True, fast=True)
    builder.add_bytes_field("body", stored=True)
    return builder.build()


def _open(path: Path, create: bool) -> tantivy.Index:
    index = tantivy.Index(schema(), path=str(path), reuse=not create)
    index.register_tokenizer(ANALYZER, analyzer())
    return index


def build(path: Path, listings: Iterable[Listing]) -> int:
    """Write a fresh tantivy index in the directory `path`; returns the number of listings."""
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        child.unlink()
    index = _open(path, create=True)
    writer = index.writer(heap_size=WRITER_HEAP_BYTES)  # num_threads=0: one per core
    phrases = list(lay_terms())
    count = 0
    for rowid, listing in enumerate(listings, start=1):
        fields = document_for(listing)
        doc = tantivy.Document()
        doc.add_unsigned("rowid", rowid)
        doc.add_text("name", fields["name"])
        doc.add_text("text", f"{fields['text']} {lay_text(listing, phrases)}".strip())
        for slug in listing.specialties:
            doc.add_text("specialty", slug)
        doc.add_unsigned("offers", 1 if listing.offers_microneedling else 0)
        doc.add_bytes("body", listing.to_json().encode("utf-8"))
        for location in listing.locations:
            lat, lon = location.get("lat"), location.get("lon")
            if lat is not None and lon is not None:
                doc.add_float("lat", float(lat))
                doc.add_float("lon", float(lon))
        writer.add_document(doc)
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


class TantivySearch:
    """One index and searcher; tantivy's searcher is safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.index = _open(path, create=False)
        self.schema = self.index.schema
        self.analyzer = analyzer()
        self.searcher = self.index.searcher()
        warm_gazetteer()  # as SearchService does: no query pays for loading the places

    def _term(self, field: str, value) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value, index_option="freq")

    def search(
        self,
        q: str | None = None,
        near: str | None = None,
        radius: float = 25.0,
        specialty: str | None = None,
        procedure: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> dict:
        parsed = parse_patient_text(q)
        must: list[tantivy.Query] = []
        for word in parsed.words:
            for term in self.analyzer.analyze(word):
                must.append(
                    tantivy.Query.boolean_query(
                        [
                            (
                                tantivy.Occur.Should,
                                tantivy.Query.boost_query(self._term("name", term), NAME_WEIGHT),
                            ),
                            (
                                tantivy.Occur.Should,
                                tantivy.Query.boost_query(self._term("text", term), TEXT_WEIGHT),
                            ),
                        ]
                    )
                )
        has_text = bool(must)
        if specialty:
            must.append(self._term("specialty", specialty))
        if procedure == "microneedling" or parsed.wants_procedure:
            must.append(self._term("offers", 1))
        place = None
        if near:
            place = place_for(near)
            dlat = radius / MILES_PER_DEGREE_LAT
            dlon = radius / (MILES_PER_DEGREE_LAT * max(math.cos(math.radians(place.lat)), 0.01))
            for field, low, high in (
                ("lat", place.lat - dlat, place.lat + dlat),
                ("lon", place.lon - dlon, place.lon + dlon),
            ):
                must.append(
                    tantivy.Query.range_query(
                        self.schema, field, tantivy.FieldType.Float, low, high
                    )
                )
        if not must:
            query = tantivy.Query.all_query()
        elif len(must) == 1:
            query = must[0]
        else:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, m) for m in must])
        searcher = self.searcher
        start = (page - 1) * per_page
        if place is not None:
            # every candidate in the box: exact distance decides membership and order
            hits = searcher.search(query, limit=max(1, searcher.num_docs), count=False).hits
            addresses = [address for _, address in hits]
            lats = searcher.fast_field_values("lat", addresses)
            lons = searcher.fast_field_values("lon", addresses)
            rowids = searcher.fast_field_values("rowid", addresses)
            inside = []
            origin = (place.lat, place.lon)
            for address, lat, lon, rowid in zip(addresses, lats, lons, rowids, strict=True):
                miles = haversine_miles(origin, (lat, lon))
                if miles <= radius:
                    inside.append((miles, rowid, address))
            inside.sort(key=lambda found: (found[0], found[1]))
            total = len(inside)
            page_hits = [(address, miles) for miles, _, address in inside[start : start + per_page]]
        elif has_text:
            result = searcher.search(query, limit=per_page, offset=start, count=True)
            total = result.count
            page_hits = [(address, None) for _, address in result.hits]
        else:
            result = searcher.search(
                query,
                limit=per_page,
                offset=start,
                count=True,
                order_by_field="rowid",
                order=tantivy.Order.Asc,
            )
            total = result.count
            page_hits = [(address, None) for _, address in result.hits]
        results = []
        for address, miles in page_hits:
            body = searcher.doc(address).get_first("body")
            results.append(Listing(**json.loads(body)).to_result(miles))
        return {"total": total, "results": results}
