"""The baseline the Whoosh design is measured against: SQLite FTS5 for text, an R-tree for place.

Same data and the same query semantics as index.search: the same documents (index.schema's name and
text fields, name boosted), the same patient-text parser (lay terms for microneedling become the
"offers it" filter; every other word must match), near + radius with exact distance, specialty,
the microneedling filter, one result per listing; distance order with a place, BM25 without one.
Like index.search it ranks ids only and reads the bodies of the page it returns.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from index.geo import haversine_miles, place_for, warm_gazetteer
from index.query import lay_terms, parse_patient_text
from index.records import Listing
from index.schema import document_for, lay_text

MILES_PER_DEGREE_LAT = 69.0
# bm25() column weights: index.query.NAME_BOOST (3) x the name field's boost (2), and the text.
NAME_WEIGHT, TEXT_WEIGHT = 6.0, 1.0


def build(path: Path, listings: Iterable[Listing]) -> int:
    """Write a fresh baseline database at path; returns the number of listings."""
    if path.exists():
        path.unlink()
    db = sqlite3.connect(path)
    db.executescript(
        """
        PRAGMA journal_mode=OFF;
        PRAGMA synchronous=OFF;
        CREATE TABLE listing (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, specialties TEXT,
                              offers INTEGER, body TEXT);
        CREATE VIRTUAL TABLE listing_text USING fts5(name, text, tokenize='porter unicode61');
        CREATE VIRTUAL TABLE listing_geo USING rtree(id, min_lat, max_lat, min_lon, max_lon);
        CREATE TABLE location (id INTEGER PRIMARY KEY, listing INTEGER, lat REAL, lon REAL);
        CREATE TABLE listing_specialty (slug TEXT, listing INTEGER, PRIMARY KEY (slug, listing))
            WITHOUT ROWID;
        """
    )
    phrases = list(lay_terms())
    count = 0
    with db:
        for rowid, listing in enumerate(listings, start=1):
            db.execute(
                "INSERT INTO listing VALUES (?, ?, ?, ?, ?)",
                (
                    rowid,
                    listing.id,
                    "," + ",".join(listing.specialties) + ",",
                    1 if listing.offers_microneedling else 0,
                    listing.to_json(),
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO listing_specialty VALUES (?, ?)",
                [(slug, rowid) for slug in listing.specialties],
            )
            document = document_for(listing)
            # FTS5 has no notion of implied words: the lay terms are written into the text.
            text = f"{document['text']} {lay_text(listing, phrases)}".strip()
            db.execute(
                "INSERT INTO listing_text (rowid, name, text) VALUES (?, ?, ?)",
                (rowid, document["name"], text),
            )
            for location in listing.locations:
                lat, lon = location.get("lat"), location.get("lon")
                if lat is None or lon is None:
                    continue
                location_id = db.execute(
                    "INSERT INTO location (listing, lat, lon) VALUES (?, ?, ?)", (rowid, lat, lon)
                ).lastrowid
                db.execute(
                    "INSERT INTO listing_geo VALUES (?, ?, ?, ?, ?)",
                    (location_id, lat, lat, lon, lon),
                )
            count += 1
        # filters a deployment would index: offering listings, and location -> listing
        db.execute("CREATE INDEX listing_offers ON listing (offers)")
        db.execute("CREATE INDEX location_listing ON location (listing)")
    db.close()
    return count


def match_expression(words: list[str]) -> str | None:
    """Every word quoted: FTS5 syntax in patient text is data, never an operator."""
    quoted = [word.replace('"', "") for word in words]
    return " ".join(f'"{word}"' for word in quoted if word) or None


class BaselineSearch:
    """One connection per thread (sqlite3 connections are not shared across threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        warm_gazetteer()  # as SearchService does: no query pays for loading the places

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

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
        db = self._db()
        parsed = parse_patient_text(q)
        where, params = [], []
        if specialty:
            where.append("l.rowid IN (SELECT listing FROM listing_specialty WHERE slug = ?)")
            params.append(specialty)
        if procedure == "microneedling" or parsed.wants_procedure:
            where.append("l.offers = 1")
        match = match_expression(parsed.words)
        distances: dict[int, float] = {}
        if near:
            place = place_for(near)
            dlat = radius / MILES_PER_DEGREE_LAT
            dlon = radius / (MILES_PER_DEGREE_LAT * max(math.cos(math.radians(place.lat)), 0.01))
            rows = db.execute(
                "SELECT loc.listing, loc.lat, loc.lon FROM listing_geo g "
                "JOIN location loc ON loc.id = g.id "
                "WHERE g.min_lat >= ? AND g.max_lat <= ? AND g.min_lon >= ? AND g.max_lon <= ?",
                (place.lat - dlat, place.lat + dlat, place.lon - dlon, place.lon + dlon),
            ).fetchall()
            for rowid, lat, lon in rows:
                miles = haversine_miles((place.lat, place.lon), (lat, lon))
                if miles <= radius and miles < distances.get(rowid, math.inf):
                    distances[rowid] = miles
            if not distances:
                return {"total": 0, "results": []}
            where.append(f"l.rowid IN ({','.join(str(r) for r in distances)})")
        if match:
            sql = (
                f"SELECT l.rowid, bm25(listing_text, {NAME_WEIGHT}, {TEXT_WEIGHT}) AS rank "
                "FROM listing_text JOIN listing l ON l.rowid = listing_text.rowid "
                "WHERE listing_text MATCH ?"
            )
            params.insert(0, match)
            if where:
                sql += " AND " + " AND ".join(where)
        else:
            sql = "SELECT l.rowid, 0 AS rank FROM listing l"
            if where:
                sql += " WHERE " + " AND ".join(where)
        start = (page - 1) * per_page
        if near:
            # the candidates are already bounded by the radius: sort them by distance here
            rows = db.execute(sql, params).fetchall()
            rows.sort(key=lambda row: (distances[row[0]], row[0]))
            total = len(rows)
            page_ids = [row[0] for row in rows[start : start + per_page]]
        else:
            # let SQLite count and page, as a competent FTS5 deployment would
            total = db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
            page_ids = [
                row[0]
                for row in db.execute(
                    f"{sql} ORDER BY rank, l.rowid LIMIT ? OFFSET ?", [*params, per_page, start]
                )
            ]
        bodies = dict(
            db.execute(
                f"SELECT rowid, body FROM listing WHERE rowid IN ({','.join('?' * len(page_ids))})",
                page_ids,
            ).fetchall()
        )
        results = [
            Listing(**json.loads(bodies[rowid])).to_result(distances.get(rowid))
            for rowid in page_ids
        ]
        return {"total": total, "results": results}
