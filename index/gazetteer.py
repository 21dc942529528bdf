"""A compact offline gazetteer: ZIP and city centroids from a precomputed file, not the `zipcodes` JSON.

The `zipcodes` package parses a JSON of every US ZIP into ~43k dicts (well over 100 MB in each
process that touches it). `python -m index.gazetteer` distils it once into `data/gazetteer.tsv.gz`
(ZIP -> centroid, city and state; (city, state) -> centroid of its standard ZIPs); processes load that
file lazily into sorted arrays of a few MB and answer by binary search.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

GAZETTEER_FILE = Path(__file__).resolve().parents[1] / "data" / "gazetteer.tsv.gz"
FORMAT_LINE = "# skinmap gazetteer v1"
_CITY_ALIASES = {"saint": "st", "fort": "ft", "mount": "mt"}


class GazetteerMissing(FileNotFoundError):
    """The precomputed file is absent; run `python -m index.gazetteer` to create it."""


def city_key(city: str) -> str:
    """How a city name is matched: lower case, punctuation gone, Saint/Fort/Mount as St/Ft/Mt."""
    words = re.sub(r"[^a-z0-9 ]+", " ", city.lower()).split()
    return " ".join(_CITY_ALIASES.get(word, word) for word in words)


@dataclass(frozen=True)
class ZipRecord:
    zip: str
    lat: float
    lon: float
    city: str
    state: str
    standard: bool  # False for PO-box-only, single-building and military ZIPs


@dataclass(frozen=True)
class CityRecord:
    key: str  # city_key(display)
    state: str
    lat: float
    lon: float
    display: str


def city_centroids(zips: list[ZipRecord]) -> list[CityRecord]:
    """Each (city, state): the mean of its standard ZIPs, or of all its ZIPs when it has none (pure).

    PO-box-only and single-building ZIPs sit at post offices; they would pull a centroid off centre.
    """
    standard: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    every: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    display: dict[tuple[str, str], str] = {}
    for record in zips:
        key = (city_key(record.city), record.state.upper())
        display.setdefault(key, record.city)
        every[key].append((record.lat, record.lon))
        if record.standard:
            standard[key].append((record.lat, record.lon))
    cities = []
    for key, points in every.items():
        points = standard.get(key) or points
        cities.append(
            CityRecord(
                key=key[0],
                state=key[1],
                lat=sum(p[0] for p in points) / len(points),
                lon=sum(p[1] for p in points) / len(points),
                display=display[key],
            )
        )
    return sorted(cities, key=lambda c: (c.state, c.key))


def zips_from_package() -> list[ZipRecord]:
    """Every ZIP with coordinates in the `zipcodes` package (the slow, memory-hungry source)."""
    import zipcodes  # only the generator script needs it

    records = []
    for entry in zipcodes.list_all():
        try:
            lat, lon = float(entry["lat"]), float(entry["long"])
        except (TypeError, ValueError, KeyError):
            continue
        records.append(
            ZipRecord(
                zip=entry["zip_code"],
                lat=lat,
                lon=lon,
                city=entry["city"],
                state=entry["state"],
                standard=entry.get("zip_code_type") == "STANDARD",
            )
        )
    return sorted(records, key=lambda r: r.zip)


def render(zips: list[ZipRecord]) -> str:
    """The file's text: a format line, one `Z` line per ZIP, one `C` line per city (pure)."""
    lines = [FORMAT_LINE]
    for r in zips:
        lines.append(f"Z\t{r.zip}\t{r.lat}\t{r.lon}\t{r.city}\t{r.state}\t{int(r.standard)}")
    for c in city_centroids(zips):
        lines.append(f"C\t{c.key}\t{c.state}\t{c.lat!r}\t{c.lon!r}\t{c.display}")
    return "\n".join(lines) + "\n"


def write(path: Path = GAZETTEER_FILE) -> int:
    """Regenerate the file from the `zipcodes` package; returns the number of ZIPs."""
    zips = zips_from_package()
    raw = render(zips).encode("utf-8")
    # mtime=0: the same input gives byte-identical output, so a regeneration shows no spurious diff.
    with open(path, "wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as out:
        out.write(raw)
    return len(zips)


class Gazetteer:
    """ZIP and city look-ups over sorted arrays (about 2 MB for every US ZIP)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._zip_codes = array("I")
        self._zip_lat = array("d")
        self._zip_lon = array("d")
        self._zip_place = array("I")  # index into _places
        self._zip_standard = bytearray()
        self._places: list[tuple[str, str]] = []  # (city as spelled for the ZIP, ST)
        place_ids: dict[tuple[str, str], int] = {}
        self._city_index: dict[str, int] = {}  # "city key|ST" -> position in the city arrays
        self._city_lat = array("d")
        self._city_lon = array("d")
        self._city_display: list[str] = []
        for line in lines:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "Z":
                place = (fields[4], fields[5])
                if place not in place_ids:
                    place_ids[place] = len(self._places)
                    self._places.append(place)
                self._zip_codes.append(int(fields[1]))
                self._zip_lat.append(float(fields[2]))
                self._zip_lon.append(float(fields[3]))
                self._zip_place.append(place_ids[place])
                self._zip_standard.append(fields[6] == "1")
            elif fields[0] == "C":
                self._city_index[f"{fields[1]}|{fields[2]}"] = len(self._city_display)
                self._city_lat.append(float(fields[3]))
                self._city_lon.append(float(fields[4]))
                self._city_display.append(fields[5])

    @classmethod
    def load(cls, path: Path = GAZETTEER_FILE) -> Gazetteer:
        try:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise GazetteerMissing(
                f"{path} is missing; run `python -m index.gazetteer` to create it"
            ) from None
        lines = io.StringIO(text)
        if lines.readline().rstrip("\n") != FORMAT_LINE:
            raise ValueError(f"{path} is not a skinmap gazetteer file")
        return cls(lines)

    def __len__(self) -> int:
        return len(self._zip_codes)

    def zip(self, zip5: str) -> tuple[float, float, str, str] | None:
        """(lat, lon, city, ST) of a 5-digit ZIP, or None."""
        if len(zip5) != 5 or not zip5.isdigit():
            return None
        code = int(zip5)
        position = bisect_left(self._zip_codes, code)
        if position == len(self._zip_codes) or self._zip_codes[position] != code:
            return None
        city, state = self._places[self._zip_place[position]]
        return self._zip_lat[position], self._zip_lon[position], city, state

    def city(self, city: str, state: str) -> tuple[float, float, str] | None:
        """(lat, lon, display name) of a city's centroid, or None. `city` may be spelled loosely."""
        position = self._city_index.get(f"{city_key(city)}|{state.strip().upper()}")
        if position is None:
            return None
        return self._city_lat[position], self._city_lon[position], self._city_display[position]

    def zip_records(self) -> Iterator[ZipRecord]:
        """Every ZIP, in ZIP order (for reverse look-ups that bucket them)."""
        for position, code in enumerate(self._zip_codes):
            city, state = self._places[self._zip_place[position]]
            yield ZipRecord(
                zip=f"{code:05d}",
                lat=self._zip_lat[position],
                lon=self._zip_lon[position],
                city=city,
                state=state,
                standard=bool(self._zip_standard[position]),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=GAZETTEER_FILE)
    args = parser.parse_args()
    count = write(args.output)
    print(f"wrote {count} ZIPs to {args.output}")


if __name__ == "__main__":
    main()
