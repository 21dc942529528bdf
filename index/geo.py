"""Places and distances: ZIP / "City, ST" -> lat/lon (offline gazetteer), great-circle miles, a grid.

Look-ups read `index.gazetteer`'s precomputed file (a few MB of arrays, loaded once per process on
first use or by `warm_gazetteer()` at start-up) instead of the `zipcodes` package's large JSON.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from index.gazetteer import Gazetteer, city_key

EARTH_RADIUS_MILES = 3958.7613
GRID_CELL_DEGREES = 0.25
_ZIP_RE = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")
_CITY_STATE_RE = re.compile(r"^\s*(?P<city>[^,]+?)\s*,\s*(?P<state>[A-Za-z]{2})\.?\s*$")


class UnknownPlace(ValueError):
    """The text is not a US ZIP or "City, ST" we know; the message says what we expected."""


@dataclass(frozen=True)
class Place:
    label: str
    lat: float
    lon: float

    def as_dict(self) -> dict:
        return {"label": self.label, "lat": self.lat, "lon": self.lon}


def _city_key(city: str) -> str:
    return city_key(city)


class _CityCentroids:
    """Read-only mapping (city key, ST) -> (lat, lon, display city), as index.places expects."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer

    def get(self, key: tuple[str, str], default=None):
        found = self._gazetteer.city(key[0], key[1])
        return default if found is None else found

    def __getitem__(self, key: tuple[str, str]) -> tuple[float, float, str]:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 2 and self.get(key) is not None


@dataclass
class _Gazetteer:
    gazetteer: Gazetteer
    cities: _CityCentroids


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    gazetteer = Gazetteer.load()
    return _Gazetteer(gazetteer=gazetteer, cities=_CityCentroids(gazetteer))


def warm_gazetteer() -> None:
    """Load the gazetteer now (servers call this at start-up so no patient waits for it)."""
    _gazetteer()


def zip_latlon(zip5: str) -> tuple[float, float] | None:
    """The ZIP's centroid, or None when unknown (a 9-digit ZIP is cut to its first 5 digits)."""
    match = _ZIP_RE.match(zip5 or "")
    if not match:
        return None
    entry = _gazetteer().gazetteer.zip(match.group(1))
    return None if entry is None else (entry[0], entry[1])


def zip_city(zip5: str) -> tuple[str, str] | None:
    """(city, ST) the gazetteer gives a ZIP (its USPS primary city), or None when unknown."""
    entry = _gazetteer().gazetteer.zip(zip5) if zip5 else None
    return (entry[2], entry[3]) if entry else None


def city_latlon(city: str, state: str) -> tuple[float, float] | None:
    """The centroid of the city's ZIPs, or None when unknown. Case, spacing and "Saint/St" tolerant."""
    if not city or not state:
        return None
    entry = _gazetteer().gazetteer.city(city, state)
    return None if entry is None else (entry[0], entry[1])


def place_for(text: str) -> Place:
    """Resolve what a patient typed in the "near" box."""
    text = (text or "").strip()
    match = _ZIP_RE.match(text)
    if match:
        entry = _gazetteer().gazetteer.zip(match.group(1))
        if entry is None:
            raise UnknownPlace(
                f"We don't know the ZIP code {match.group(1)}. Try a nearby ZIP or a city."
            )
        return Place(label=f"{entry[2]}, {entry[3]} {match.group(1)}", lat=entry[0], lon=entry[1])
    match = _CITY_STATE_RE.match(text)
    if match:
        state = match.group("state").upper()
        entry = _gazetteer().gazetteer.city(match.group("city"), state)
        if entry is None:
            raise UnknownPlace(
                f"We couldn't find {match.group('city').strip()!r} in {state}. "
                "Check the spelling, or enter a 5-digit ZIP code."
            )
        return Place(label=f"{entry[2]}, {state}", lat=entry[0], lon=entry[1])
    raise UnknownPlace(
        'Enter a 5-digit ZIP code (e.g. "78701") or a city and state (e.g. "Austin, TX").'
    )


def haversine_miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


_LON_CELLS = round(360 / GRID_CELL_DEGREES)


def _cell(lat: float, lon: float) -> int:
    # Longitude cells wrap, so the Aleutians on both sides of the antimeridian are neighbours.
    return math.floor(lat / GRID_CELL_DEGREES) * _LON_CELLS + (
        math.floor(lon / GRID_CELL_DEGREES) % _LON_CELLS
    )


class GeoGrid:
    """Locations bucketed into ~0.25 degree cells; answers "who is within N miles" without a full scan.

    Built once per index generation from (docnum, lat, lon) triples; a person with several locations
    appears once per location, and each query reports each docnum once with its nearest one. Points
    are stored sorted by cell in flat arrays (radians, with each point's cosine precomputed), so a
    cell is a slice and the exact distance costs a few float operations per candidate.
    """

    def __init__(self, points: Iterable[tuple[int, float, float]]) -> None:
        by_cell: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
        for docnum, lat, lon in points:
            by_cell[_cell(lat, lon)].append((docnum, lat, lon))
        self.docnums = array("I")
        self.lats = array("d")  # radians
        self.lons = array("d")  # radians
        self.cos_lats = array("d")
        self.cells: dict[int, tuple[int, int]] = {}  # cell -> (start, end) in the arrays
        for cell in sorted(by_cell):
            start = len(self.docnums)
            for docnum, lat, lon in by_cell[cell]:
                self.docnums.append(docnum)
                self.lats.append(math.radians(lat))
                self.lons.append(math.radians(lon))
                self.cos_lats.append(math.cos(math.radians(lat)))
            self.cells[cell] = (start, len(self.docnums))

    def __len__(self) -> int:
        return len(self.docnums)

    def _cells_around(self, lat: float, lon: float, miles: float) -> list[tuple[int, int]]:
        lat_span = miles / 69.0 + 1e-9
        # Longitude degrees shrink with latitude; use the widest (most poleward) edge of the box.
        edge = min(89.0, abs(lat) + lat_span)
        lon_span = miles / (69.172 * max(math.cos(math.radians(edge)), 1e-6)) + 1e-9
        lat_lo = math.floor((lat - lat_span) / GRID_CELL_DEGREES)
        lat_hi = math.floor((lat + lat_span) / GRID_CELL_DEGREES)
        lon_lo = math.floor((lon - lon_span) / GRID_CELL_DEGREES)
        lon_hi = math.floor((lon + lon_span) / GRID_CELL_DEGREES)
        if lon_hi - lon_lo + 1 >= _LON_CELLS or abs(lat) + lat_span >= 89.0:
            lon_lo, lon_hi = 0, _LON_CELLS - 1  # near a pole every longitude is close
        found = []
        cells = self.cells
        for cell_lat in range(lat_lo, lat_hi + 1):
            row = cell_lat * _LON_CELLS
            for cell_lon in range(lon_lo, lon_hi + 1):
                span = cells.get(row + cell_lon % _LON_CELLS)
                if span is not None:
                    found.append(span)
        return found

    def within(self, lat: float, lon: float, miles: float) -> dict[int, float]:
        """docnum -> distance in miles to its nearest location, for every doc within `miles`."""
        best: dict[int, float] = {}
        lat1, lon1 = math.radians(lat), math.radians(lon)
        cos1 = math.cos(lat1)
        # Reject on the haversine term before taking asin; the slack keeps boundary points for the
        # exact comparison below, so the result equals a full scan with haversine_miles.
        h_max = math.sin(min(miles / (2 * EARTH_RADIUS_MILES), math.pi / 2)) ** 2 * (1 + 1e-9)
        sin, asin, sqrt = math.sin, math.asin, math.sqrt
        lats, lons, coss, docnums = self.lats, self.lons, self.cos_lats, self.docnums
        diameter = 2 * EARTH_RADIUS_MILES
        for start, end in self._cells_around(lat, lon, miles):
            for i in range(start, end):
                h = sin((lats[i] - lat1) / 2) ** 2 + cos1 * coss[i] * sin((lons[i] - lon1) / 2) ** 2
                if h > h_max:
                    continue
                distance = diameter * asin(min(1.0, sqrt(h)))
                if distance <= miles:
                    docnum = docnums[i]
                    if distance < best.get(docnum, math.inf):
                        best[docnum] = distance
        return best

    def candidate_count(self, lat: float, lon: float, miles: float) -> int:
        """How many points the cells around the circle hold: what `within` would look at."""
        return sum(end - start for start, end in self._cells_around(lat, lon, miles))

    def candidates_within(self, lat: float, lon: float, miles: float) -> list[tuple[int, float]]:
        """(docnum, distance in miles) for every doc with a location within `miles`, nearest first."""
        return sorted(self.within(lat, lon, miles).items(), key=lambda pair: (pair[1], pair[0]))


def distances_within(
    points: Iterable[tuple[int, float, float]], lat: float, lon: float, miles: float
) -> dict[int, float]:
    """docnum -> miles to its nearest point within `miles`, for (docnum, lat, lon) points in
    degrees: GeoGrid.within's arithmetic exactly (the same floats), without the grid, for a few
    known documents."""
    best: dict[int, float] = {}
    lat1, lon1 = math.radians(lat), math.radians(lon)
    cos1 = math.cos(lat1)
    h_max = math.sin(min(miles / (2 * EARTH_RADIUS_MILES), math.pi / 2)) ** 2 * (1 + 1e-9)
    sin, asin, sqrt, radians, cos = math.sin, math.asin, math.sqrt, math.radians, math.cos
    diameter = 2 * EARTH_RADIUS_MILES
    for docnum, point_lat, point_lon in points:
        lat2 = radians(point_lat)
        h = (
            sin((lat2 - lat1) / 2) ** 2
            + cos1 * cos(lat2) * sin((radians(point_lon) - lon1) / 2) ** 2
        )
        if h > h_max:
            continue
        distance = diameter * asin(min(1.0, sqrt(h)))
        if distance <= miles and distance < best.get(docnum, math.inf):
            best[docnum] = distance
    return best
