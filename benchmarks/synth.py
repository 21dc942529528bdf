"""Deterministic synthetic listings for benchmarks: real ZIP centroids clustered in metros."""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import lru_cache

import zipcodes

from index.records import Listing

# (city, state) metros; listings cluster around their ZIPs the way practices do.
METROS = (
    ("New York", "NY"),
    ("Los Angeles", "CA"),
    ("Chicago", "IL"),
    ("Houston", "TX"),
    ("Phoenix", "AZ"),
    ("Philadelphia", "PA"),
    ("San Antonio", "TX"),
    ("San Diego", "CA"),
    ("Dallas", "TX"),
    ("Austin", "TX"),
    ("Miami", "FL"),
    ("Atlanta", "GA"),
    ("Denver", "CO"),
    ("Seattle", "WA"),
    ("Boston", "MA"),
    ("Nashville", "TN"),
    ("Portland", "OR"),
    ("Las Vegas", "NV"),
    ("Minneapolis", "MN"),
    ("Charlotte", "NC"),
)
FIRST = (
    "Ana Ben Carla David Elena Farid Grace Hiro Irene James Kavya Luis Maya Noah Olivia "
    "Priya Quinn Rosa Samuel Tara Uma Victor Wen Ximena Yusuf Zoe Amir Bianca Chen Dana"
).split()
LAST = (
    "Ruiz Okafor Lindqvist Nguyen Patel Moreau Haddad Kowalski Tanaka Osei Fischer Romano "
    "Alvarez Brennan Castillo Duarte Eriksen Farouk Gallagher Hoang Iyer Jansen Kim Laurent "
    "Mbeki Novak Ortega Petrov Quarles Sato"
).split()
SPECIALTY_MIX = (
    (("dermatology",), 50),
    (("dermatology", "mohs-surgery"), 8),
    (("plastic-surgery",), 20),
    (("facial-plastic-surgery",), 8),
    (("cosmetic-surgery",), 8),
    (("oculoplastic-surgery",), 6),
)
EVIDENCE = (
    "We offer microneedling with SkinPen for acne scars and fine lines.",
    "Collagen induction therapy sessions start from $300.",
    "Morpheus8 RF microneedling tightens skin and softens pitted scars.",
    "Our dermatologists perform Dermapen micro-needling for indented scars.",
    "PRP microneedling is available at both offices.",
    "Potenza radiofrequency microneedling for texture and stretch marks.",
)
PRACTICE_WORDS = (
    "Lakeside Summit Riverbend Cedar Harbor Meadow Granite Willow Aspen Bayview".split()
)


@lru_cache(maxsize=1)
def metro_zips() -> tuple[tuple[str, str, str, float, float], ...]:
    """(zip, city, state, lat, lon) for every standard ZIP of the benchmark metros."""
    rows = []
    for city, state in METROS:
        for entry in zipcodes.filter_by(city=city, state=state):
            if entry.get("zip_code_type") != "STANDARD" or not entry.get("lat"):
                continue
            rows.append((entry["zip_code"], city, state, float(entry["lat"]), float(entry["long"])))
    return tuple(rows)


def _pick_specialties(rng: random.Random) -> list[str]:
    total = sum(weight for _, weight in SPECIALTY_MIX)
    roll = rng.uniform(0, total)
    for slugs, weight in SPECIALTY_MIX:
        roll -= weight
        if roll <= 0:
            return list(slugs)
    return list(SPECIALTY_MIX[0][0])


def listings(n: int, seed: int = 20261125) -> Iterator[Listing]:
    """n deterministic listings; about 55% offer microneedling with a quoted sentence."""
    rng = random.Random(seed)
    zips = metro_zips()
    for number in range(n):
        zip_code, city, state, lat, lon = rng.choice(zips)
        practice = f"{rng.choice(PRACTICE_WORDS)} {rng.choice(('Dermatology', 'Plastic Surgery', 'Skin Center', 'Aesthetics'))}"
        offers = rng.random() < 0.55
        evidence = None
        if offers:
            evidence = {
                "quote": rng.choice(EVIDENCE),
                "url": f"https://practice{number}.example/services",
                "seen_at": "2026-11-01T00:00:00Z",
                "practice": practice,
            }
        locations = [
            {
                "practice": practice,
                "street": f"{100 + number % 9000} {rng.choice(LAST)} Ave",
                "city": city,
                "state": state,
                "postal_code": zip_code,
                "phone": f"+1{rng.randint(201, 989)}55501{number % 100:02d}",
                # jitter within ~1 mile so practices in one ZIP are not stacked on one point
                "lat": round(lat + rng.uniform(-0.015, 0.015), 5),
                "lon": round(lon + rng.uniform(-0.015, 0.015), 5),
            }
        ]
        yield Listing(
            id=f"p-{number:010x}",
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            credentials=list(rng.choice((("MD",), ("DO",), ("MD", "FAAD")))),
            specialties=_pick_specialties(rng),
            npi=None,
            offers_microneedling=True if offers else None,
            microneedling_evidence=evidence,
            locations=locations,
            sources=[{"kind": "practice_site", "url": f"https://practice{number}.example/"}],
            website=f"https://practice{number}.example/",
            first_seen="2026-10-01T00:00:00Z",
            last_seen="2026-11-01T00:00:00Z",
        )


# A fixed mix of patient queries: (label, q, near, radius, specialty, procedure).
QUERY_MIX = (
    ("text", "acne scars", None, None, None, None),
    ("text", "microneedling", None, None, None, None),
    ("text", "skinpen", None, None, None, None),
    ("text", "lakeside dermatology", None, None, None, None),
    ("text", "dr patel", None, None, None, None),
    ("specialty", None, None, None, "dermatology", None),
    ("specialty", None, None, None, "oculoplastic-surgery", None),
    ("text_geo", "acne scars", "78701", 25, None, "microneedling"),
    ("text_geo", "microneedling", "Chicago, IL", 25, None, "microneedling"),
    ("text_geo", "morpheus8", "90012", 25, None, None),
    ("text_geo", "collagen induction", "Denver, CO", 50, None, "microneedling"),
    ("text_geo", "summit plastic surgery", "Chicago, IL", 25, None, None),
    ("geo", None, "10001", 10, None, "microneedling"),
    ("geo", None, "30303", 25, "dermatology", None),
    ("zero", "xylophone quartz", None, None, None, None),
    ("misspelled", "microneedlng", None, None, None, None),
    ("misspelled", "dermatolgy", "33130", 25, None, None),
)
