"""Reverse look-ups on the offline ZIP gazetteer: the ZIP nearest a point, and real cities near a point.

`index.geo` answers "where is this ZIP / city"; this module answers the other way round, for the
"use my location" button and for suggestions when a search finds nobody. Both read the gazetteer
`index.geo` already loads once per process, bucketed here into the same GeoGrid the index uses.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from index.geo import GeoGrid, _city_key, _gazetteer

# Far enough to reach a ZIP from anywhere in the populated US, small enough that a point in the
# ocean or abroad gets "no US place near you" instead of a ZIP hundreds of miles away.
NEAREST_MAX_MILES = 60.0
_NEAREST_STEPS = (5.0, 15.0, NEAREST_MAX_MILES)
NEARBY_CITIES_MILES = 60.0
# A town with a single ZIP is usually a village; patients recognise the bigger names around them.
NEARBY_MIN_ZIPS = 2


@dataclass(frozen=True)
class NearestZip:
    zip: str
    city: str
    state: str
    miles: float  # from the point to the ZIP's centroid

    @property
    def label(self) -> str:
        return f"{self.city}, {self.state} {self.zip}"

    def as_dict(self) -> dict:
        return {"zip": self.zip, "city": self.city, "state": self.state, "label": self.label}


@dataclass(frozen=True)
class NearbyCity:
    city: str
    state: str
    miles: float  # from the point to the city's centroid

    @property
    def label(self) -> str:
        return f"{self.city}, {self.state}"


@dataclass
class _ReverseIndex:
    zips: list[tuple[str, float, float, str, str]]  # zip, lat, lon, city, state
    zip_grid: GeoGrid
    cities: list[tuple[str, str, float, float, int]]  # display city, ST, lat, lon, ZIP count
    city_grid: GeoGrid


@lru_cache(maxsize=1)
def _reverse_index() -> _ReverseIndex:
    # Only STANDARD ZIPs: PO-box and single-building ZIPs sit on a post office (a phone at the
    # post office would "be" in it), and military ZIPs have no place on land (0, 0). Read from the
    # compact gazetteer the search already holds, never the zipcodes package's large JSON.
    zips: list[tuple[str, float, float, str, str]] = [
        (record.zip, record.lat, record.lon, record.city, record.state.upper())
        for record in _gazetteer().gazetteer.zip_records()
        if record.standard and not (record.lat == 0.0 and record.lon == 0.0)
    ]
    zips.sort()
    counts = Counter((_city_key(city), state) for _, _, _, city, state in zips)
    centroids = _gazetteer().cities  # index.geo's centroid of each city's standard ZIPs
    cities = sorted(
        (centroids[key][2], key[1], centroids[key][0], centroids[key][1], count)
        for key, count in counts.items()
        if key in centroids
    )
    return _ReverseIndex(
        zips=zips,
        zip_grid=GeoGrid((i, z[1], z[2]) for i, z in enumerate(zips)),
        cities=cities,
        city_grid=GeoGrid((i, c[2], c[3]) for i, c in enumerate(cities)),
    )


def valid_point(lat: float, lon: float) -> bool:
    return (
        math.isfinite(lat)
        and math.isfinite(lon)
        and -90.0 <= lat <= 90.0
        and -180.0 <= lon <= 180.0
    )


def nearest_zip(lat: float, lon: float) -> NearestZip | None:
    """The ZIP whose centroid is closest to the point, or None when none is within 60 miles."""
    if not valid_point(lat, lon):
        raise ValueError(f"not a point on Earth: lat={lat!r}, lon={lon!r}")
    reverse = _reverse_index()
    # Widen step by step: a city point finds its ZIP in the first, small box.
    for miles in _NEAREST_STEPS:
        found = reverse.zip_grid.candidates_within(lat, lon, miles)
        if found:
            position, distance = found[0]
            code, _, _, city, state = reverse.zips[position]
            return NearestZip(zip=code, city=city, state=state, miles=distance)
    return None


def nearby_cities(
    lat: float,
    lon: float,
    miles: float = NEARBY_CITIES_MILES,
    limit: int = 4,
    exclude: tuple[str, str] | None = None,
) -> list[NearbyCity]:
    """Real cities within `miles` of the point, nearest first; villages (a single ZIP) are left out.

    `exclude` is a (city, ST) pair, e.g. the place the patient searched, so we never suggest it back.
    """
    if not valid_point(lat, lon) or limit <= 0:
        return []
    reverse = _reverse_index()
    skip = (_city_key(exclude[0]), exclude[1].upper()) if exclude else None
    candidates = []
    for position, distance in reverse.city_grid.candidates_within(lat, lon, miles):
        city, state, _, _, zip_count = reverse.cities[position]
        if (_city_key(city), state) == skip or zip_count < NEARBY_MIN_ZIPS:
            continue
        candidates.append(NearbyCity(city=city, state=state, miles=distance))
        if len(candidates) == limit:
            break  # candidates_within is already nearest first
    return candidates
