"""Places and distances: ZIP / "City, ST" -> lat/lon (offline `zipcodes`), great-circle miles, a grid.

`zipcodes` parses its bundled JSON on first use and scans a list per call, so we build two dicts
once per process and answer every later lookup from them.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

EARTH_RADIUS_MILES = 3958.7613
GRID_CELL_DEGREES = 0.25
_ZIP_RE = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")
_CITY_STATE_RE = re.compile(r"^\s*(?P<city>[^,]+?)\s*,\s*(?P<state>[A-Za-z]{2})\.?\s*$")
_CITY_ALIASES = {"saint": "st", "fort": "ft", "mount": "mt"}


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
    words = re.sub(r"[^a-z0-9 ]+", " ", city.lower()).split()
    return " ".join(_CITY_ALIASES.get(word, word) for word in words)


@dataclass
class _Gazetteer:
    zips: dict[str, tuple[float, float, str, str]]  # zip -> lat, lon, city, state
    cities: dict[
        tuple[str, str], tuple[float, float, str]
    ]  # (city key, ST) -> centroid, display city


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    import zipcodes  # imported lazily: loading it costs ~0.2 s, and most processes never need it

    zips: dict[str, tuple[float, float, str, str]] = {}
    standard: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    every: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    display: dict[tuple[str, str], str] = {}
    for entry in zipcodes.list_all():
        try:
            lat, lon = float(entry["lat"]), float(entry["long"])
        except (TypeError, ValueError, KeyError):
            continue
        zips[entry["zip_code"]] = (lat, lon, entry["city"], entry["state"])
        key = (_city_key(entry["city"]), entry["state"].upper())
        display.setdefault(key, entry["city"])
        every[key].append((lat, lon))
        # PO-box-only and single-building ZIPs sit at post offices; leave them out of the centroid
        # unless a city has nothing else.
        if entry.get("zip_code_type") == "STANDARD":
            standard[key].append((lat, lon))
    cities: dict[tuple[str, str], tuple[float, float, str]] = {}
    for key, points in every.items():
        points = standard.get(key) or points
        cities[key] = (
            sum(p[0] for p in points) / len(points),
            sum(p[1] for p in points) / len(points),
            display[key],
        )
    return _Gazetteer(zips=zips, cities=cities)


def zip_latlon(zip5: str) -> tuple[float, float] | None:
    """The ZIP's centroid, or None when unknown (a 9-digit ZIP is cut to its first 5 digits)."""
    match = _ZIP_RE.match(zip5 or "")
    if not match:
        return None
    entry = _gazetteer().zips.get(match.group(1))
    return None if entry is None else (entry[0], entry[1])


def city_latlon(city: str, state: str) -> tuple[float, float] | None:
    """The centroid of the city's ZIPs, or None when unknown. Case, spacing and "Saint/St" tolerant."""
    if not city or not state:
        return None
    entry = _gazetteer().cities.get((_city_key(city), state.strip().upper()))
    return None if entry is None else (entry[0], entry[1])


def place_for(text: str) -> Place:
    """Resolve what a patient typed in the "near" box."""
    text = (text or "").strip()
    match = _ZIP_RE.match(text)
    if match:
        entry = _gazetteer().zips.get(match.group(1))
        if entry is None:
            raise UnknownPlace(
                f"We don't know the ZIP code {match.group(1)}. Try a nearby ZIP or a city."
            )
        return Place(label=f"{entry[2]}, {entry[3]} {match.group(1)}", lat=entry[0], lon=entry[1])
    match = _CITY_STATE_RE.match(text)
    if match:
        state = match.group("state").upper()
        entry = _gazetteer().cities.get((_city_key(match.group("city")), state))
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


def _cell(lat: float, lon: float) -> tuple[int, int]:
    # Longitude cells wrap, so the Aleutians on both sides of the antimeridian are neighbours.
    return (math.floor(lat / GRID_CELL_DEGREES), math.floor(lon / GRID_CELL_DEGREES) % _LON_CELLS)


class GeoGrid:
    """Locations bucketed into ~0.25 degree cells; answers "who is within N miles" without a full scan.

    Built once per index generation from (docnum, lat, lon) triples; a person with several locations
    appears once per location, and `candidates_within` reports each docnum once with its nearest one.
    """

    def __init__(self, points: Iterable[tuple[int, float, float]]) -> None:
        self.docnums: list[int] = []
        self.lats: list[float] = []
        self.lons: list[float] = []
        self.cells: dict[tuple[int, int], list[int]] = defaultdict(list)
        for docnum, lat, lon in points:
            index = len(self.docnums)
            self.docnums.append(docnum)
            self.lats.append(lat)
            self.lons.append(lon)
            self.cells[_cell(lat, lon)].append(index)

    def __len__(self) -> int:
        return len(self.docnums)

    def candidates_within(self, lat: float, lon: float, miles: float) -> list[tuple[int, float]]:
        """(docnum, distance in miles) for every doc with a location within `miles`, nearest first."""
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
        best: dict[int, float] = {}
        origin = (lat, lon)
        for cell_lat in range(lat_lo, lat_hi + 1):
            for cell_lon in range(lon_lo, lon_hi + 1):
                for index in self.cells.get((cell_lat, cell_lon % _LON_CELLS), ()):
                    distance = haversine_miles(origin, (self.lats[index], self.lons[index]))
                    if distance <= miles:
                        docnum = self.docnums[index]
                        if distance < best.get(docnum, math.inf):
                            best[docnum] = distance
        return sorted(best.items(), key=lambda pair: (pair[1], pair[0]))
