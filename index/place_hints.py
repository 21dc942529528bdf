"""What a patient probably meant in the "near" box when it is not a ZIP nor a known "City, ST": a city
named without its state ("Austin" -> the largest Austin, with the others named) or a misspelt city
("Austn, TX" -> "Austin, TX"). Reads the offline gazetteer through index.places; pure otherwise.

Must not import the store, search_web or crawler.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from index.gazetteer import city_key
from index.places import _reverse_index

_ZIP = re.compile(r"^\s*\d{5}(?:-\d{4})?\s*$")
_CITY_STATE = re.compile(r"^\s*(?P<city>[^,]+?)\s*,?\s+(?P<state>[A-Za-z]{2})\.?\s*$")
OTHER_PLACES = 3  # other cities of the same name offered as links


@dataclass(frozen=True)
class PlaceHint:
    near: str  # what is searched instead: "Austin, TX"
    typed: str  # what the patient typed
    kind: str  # "state" (a city without its state) or "spelling"
    others: list[str] = field(default_factory=list)  # other "City, ST" with that name


@dataclass
class _Cities:
    by_key: dict[
        str, list[tuple[int, str, str]]
    ]  # city key -> (ZIP count, display, ST), most first
    by_state: dict[str, dict[str, tuple[int, str]]]  # ST -> city key -> (ZIP count, display)


@lru_cache(maxsize=1)
def _cities() -> _Cities:
    by_key: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    by_state: dict[str, dict[str, tuple[int, str]]] = defaultdict(dict)
    for display, state, _lat, _lon, zip_count in _reverse_index().cities:
        key = city_key(display)
        by_key[key].append((zip_count, display, state))
        by_state[state][key] = (zip_count, display)
    for entries in by_key.values():
        entries.sort(key=lambda entry: (-entry[0], entry[2]))
    return _Cities(by_key=dict(by_key), by_state=dict(by_state))


def _max_edits(word: str) -> int:
    return 1 if len(word) < 6 else 2


def place_hint(text: str | None) -> PlaceHint | None:
    """A confident reading of `text` as another place, or None (a ZIP, a known city, or no idea)."""
    typed = " ".join((text or "").split())
    if not typed or _ZIP.match(typed) or len(typed) > 100:
        return None
    cities = _cities()
    match = _CITY_STATE.match(typed)
    if match and match["state"].upper() in cities.by_state:
        state = match["state"].upper()
        in_state = cities.by_state[state]
        key = city_key(match["city"])
        if key in in_state:
            if "," in typed:
                return None  # a known "City, ST": nothing to hint
            return PlaceHint(near=f"{in_state[key][1]}, {state}", typed=typed, kind="spelling")
        limit = _max_edits(key)
        found = process.extract(
            key, list(in_state), scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None
        )
        if not found:
            return None
        best = min(found, key=lambda item: (item[1], -in_state[item[0]][0], item[0]))
        return PlaceHint(near=f"{in_state[best[0]][1]}, {state}", typed=typed, kind="spelling")
    if "," in typed:
        return None
    entries = cities.by_key.get(city_key(typed))
    if not entries:
        return None
    _count, display, state = entries[0]
    others = [f"{name}, {st}" for _, name, st in entries[1 : 1 + OTHER_PLACES]]
    return PlaceHint(near=f"{display}, {state}", typed=typed, kind="state", others=others)
