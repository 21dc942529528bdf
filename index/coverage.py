"""Where the directory has data: the nearest matches beyond a search's radius (so an empty page still
names someone) and practitioner counts by state and city (the coverage page).

Both read one opened generation (index.generation); SearchService exposes them. Must not import the
store, search_web or crawler.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from whoosh.searching import Searcher

from index.generation import Generation
from index.geo import Place
from index.query import ParsedQuery
from index.ranking import rank_matches

# Rings tried, nearest first, when nothing is inside the patient's radius: the first ring with a
# match wins, so a search in Montana looks only as far as it must to reach Texas or Colorado.
NEAREST_RINGS_MILES = (400.0, 1000.0, 2500.0, 6000.0)
_BATCH = 1000  # listings read at a time while counting


def nearest_results(
    generation: Generation,
    searcher: Searcher,
    parsed: ParsedQuery,
    procedure: bool,
    specialty: str | None,
    place: Place,
    limit: int,
) -> list[dict]:
    """Up to `limit` matches of the same words and filters, nearest first, however far away."""
    columns = generation.columns
    bit = 0
    if specialty:
        bit = 1 << columns.slugs.index(specialty) if specialty in columns.slugs else -1
    for ring in NEAREST_RINGS_MILES:
        ranked = rank_matches(generation, searcher, parsed, procedure, place, ring)
        if bit == -1 or ranked.distances is None:
            return []
        picked = [
            (docnum, miles)
            for docnum, miles in zip(ranked.order, ranked.distances, strict=True)
            if not bit or columns.specialties[docnum] & bit
        ][:limit]
        if picked:
            listings = generation.listings(docnum for docnum, _ in picked)
            return [
                listing.to_result(miles)
                for listing, (_, miles) in zip(listings, picked, strict=True)
            ]
    return []


@dataclass
class StateCoverage:
    state: str
    practitioners: int  # with at least one location in the state
    offering: int  # of those, how many have a quoted microneedling offer
    cities: list[tuple[str, int]] = field(default_factory=list)  # (city, practitioners), most first


def coverage(generation: Generation) -> list[StateCoverage]:
    """Every state with a listed location, most practitioners first; cities within each likewise."""
    people: Counter[str] = Counter()
    offering: Counter[str] = Counter()
    cities: dict[str, Counter[str]] = {}
    total = len(generation.columns)
    for start in range(0, total, _BATCH):
        docnums = [d for d in range(start, min(total, start + _BATCH)) if not generation.removed[d]]
        for listing in generation.listings(docnums):
            if listing.hidden:
                continue
            states: set[str] = set()
            places: set[tuple[str, str]] = set()
            for location in listing.locations:
                state = (location.get("state") or "").strip().upper()
                if not state:
                    continue
                states.add(state)
                city = (location.get("city") or "").strip()
                if city:
                    places.add((city, state))
            for state in states:
                people[state] += 1
                if listing.offers_microneedling:
                    offering[state] += 1
            for city, state in places:
                cities.setdefault(state, Counter())[city] += 1
    return [
        StateCoverage(
            state=state,
            practitioners=count,
            offering=offering[state],
            cities=sorted(cities.get(state, Counter()).items(), key=lambda kv: (-kv[1], kv[0])),
        )
        for state, count in sorted(people.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
