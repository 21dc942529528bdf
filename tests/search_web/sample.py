"""Fictional practitioners for the web tests (.test sites, 555-01xx phones) and a real store + index build."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from index.build import rebuild
from index.records import Observation
from index.store import Store

# `javascript://` passes naive "has a host" checks; a bare `javascript:alert(1)` currently crashes
# index.contact_keys.site_root (reported to the lead), so the build never reaches the page.
HOSTILE_WEBSITE = "javascript://%0Aalert(document.cookie)"


def npi_with_check_digit(first_nine: str) -> str:
    """A syntactically valid NPI (Luhn over the 80840 prefix), so fixtures pass the store's checks."""
    digits = [int(d) for d in "80840" + first_nine]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return first_nine + str((10 - total % 10) % 10)


ANA_NPI = npi_with_check_digit("123456789")
BEN_NPI = npi_with_check_digit("198765432")


def _recently(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _location(practice: str, street: str, city: str, zip5: str, phone: str) -> dict:
    return {
        "practice": practice,
        "street": street,
        "city": city,
        "state": "TX",
        "postal_code": zip5,
        "phone": phone,
        "lat": None,
        "lon": None,
    }


def _practitioner(
    key: str,
    name: str,
    *,
    credentials: list[str],
    specialties: list[str],
    npi: str | None,
    location: dict,
    website: str | None,
    evidence: list[dict],
    seen: str,
) -> Observation:
    first, last = name.split(" ", 1)
    return Observation(
        source="practice_site",
        kind="practitioner",
        source_key=key,
        url=f"{website}team.html" if website and website.startswith("http") else None,
        fetched_at=seen,
        payload={
            "name": name,
            "first_name": first,
            "middle_name": None,
            "last_name": last,
            "suffix": None,
            "credentials": credentials,
            "npi": npi,
            "specialties": specialties,
            "taxonomy_codes": [],
            "is_physician": True,
            "role": "physician",
            "practice_name": location["practice"],
            "website": website,
            "profile_url": None,
            "locations": [location],
            "evidence": evidence,
        },
    )


def _evidence(quote: str, url: str, seen: str, *, negated: bool = False) -> dict:
    return {
        "procedure": "microneedling",
        "term": "microneedling",
        "quote": quote,
        "url": url,
        "seen_at": seen,
        "negated": negated,
        "scope": "practitioner",
        "price": None,
    }


# Fictional people and practices (.test sites, 555-01xx phones); the quotes are the evidence.
ANA_QUOTE = "Dr. Ruiz offers SkinPen microneedling <collagen induction> for acne scars & texture."
CARA_QUOTE = "We no longer offer microneedling at this office."
DANA_QUOTE = "Microneedling with Dr. Wells is available at our Houston office."


def fixture_observations() -> list[Observation]:
    seen = _recently(2)
    ana_site = "http://lakeside-derm.test/"
    cara_site = "https://roundrock-skin.test/"
    dana_site = "https://bayou-face.test/"
    return [
        _practitioner(
            f"{ana_site}#ana ruiz",
            "Ana Ruiz",
            credentials=["MD", "FAAD"],
            specialties=["dermatology"],
            npi=ANA_NPI,
            location=_location(
                "Lakeside Dermatology", "100 Congress Ave", "Austin", "78701", "+15125550101"
            ),
            website=ana_site,
            evidence=[_evidence(ANA_QUOTE, f"{ana_site}services/microneedling.html", seen)],
            seen=seen,
        ),
        Observation(
            source="nppes",
            kind="practitioner",
            source_key=ANA_NPI,
            url=f"http://127.0.0.1:9/api/?number={ANA_NPI}",
            fetched_at=seen,
            payload={
                "name": "Ana Ruiz",
                "first_name": "Ana",
                "middle_name": None,
                "last_name": "Ruiz",
                "suffix": None,
                "credentials": ["MD"],
                "npi": ANA_NPI,
                "specialties": ["dermatology"],
                "taxonomy_codes": ["207N00000X"],
                "is_physician": True,
                "role": "physician",
                "practice_name": None,
                "website": None,
                "locations": [
                    _location(
                        "Lakeside Dermatology",
                        "100 Congress Ave",
                        "Austin",
                        "78701",
                        "+15125550101",
                    )
                ],
                "evidence": [],
                "status": "active",
                "enumeration_date": "2009-03-02",
                "last_updated": "2024-07-11",
            },
        ),
        # A plastic surgeon with no microneedling mention and a hostile website value.
        _practitioner(
            "http://southlamar-plastics.test/#ben okafor",
            "Ben Okafor",
            credentials=["DO"],
            specialties=["plastic-surgery"],
            npi=BEN_NPI,
            location=_location(
                "South Lamar Plastic Surgery",
                "2200 S Lamar Blvd",
                "Austin",
                "78704",
                "+15125550102",
            ),
            website=HOSTILE_WEBSITE,
            evidence=[],
            seen=seen,
        ),
        # A dermatologist ~18 miles north whose page says they stopped offering it.
        _practitioner(
            f"{cara_site}#cara lin",
            "Cara Lin",
            credentials=["MD"],
            specialties=["dermatology"],
            npi=None,
            location=_location(
                "Round Rock Skin", "1 Main St", "Round Rock", "78664", "+15125550103"
            ),
            website=cara_site,
            evidence=[_evidence(CARA_QUOTE, f"{cara_site}services.html", seen, negated=True)],
            seen=seen,
        ),
        # A facial plastic surgeon in Houston, far outside a 25-mile Austin search.
        _practitioner(
            f"{dana_site}#dana wells",
            "Dana Wells",
            credentials=["MD"],
            specialties=["facial-plastic-surgery"],
            npi=None,
            location=_location(
                "Bayou Facial Plastics", "700 Main St", "Houston", "77002", "+17135550104"
            ),
            website=dana_site,
            evidence=[_evidence(DANA_QUOTE, f"{dana_site}microneedling.html", seen)],
            seen=seen,
        ),
    ]


def build_data_dir(data_dir: Path, observations: list[Observation]) -> Path:
    store = Store(data_dir / "store.sqlite3")
    try:
        run_id = store.start_run("practice_site", {"fixture": True})
        for observation in observations:
            store.record_observation(run_id, observation)
        store.finish_run(run_id, "finished", {"items": len(observations)}, [])
    finally:
        store.close()
    rebuild(data_dir)
    return data_dir
