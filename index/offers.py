"""The microneedling verdict (pure): does this person offer it, and which quote shows it.

Owns: offers_verdict (what index.materialise calls), decide_offers, quote_strength and the evidence
entries they read. Must not import: any I/O (store, build, geo, files).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from urllib.parse import urlsplit

from index.contact_keys import site_root
from index.records import Observation

PROCEDURE = "microneedling"


def offers_verdict(
    observations: Sequence[Observation], practices: Sequence[Observation]
) -> tuple[bool | None, dict | None]:
    """The verdict and its quote from a person's observations and their practices' (decide_offers)."""
    return decide_offers(_evidence_entries(observations, practices))


def _obs_key(obs: Observation) -> str:
    return obs.key


def _evidence_entries(
    observations: Sequence[Observation], practices: Sequence[Observation]
) -> list[dict]:
    entries = []
    for obs in list(observations) + list(practices):
        practice = (
            obs.payload.get("practice_name")
            if obs.kind == "practitioner"
            else obs.payload.get("name")
        )
        group = site_root(obs.payload.get("website")) or practice or _obs_key(obs)
        for evidence in obs.payload.get("evidence") or []:
            if (evidence.get("procedure") or PROCEDURE) != PROCEDURE:
                continue
            if not (evidence.get("quote") or "").strip():
                continue  # no quote, no claim
            entry = dict(evidence)
            entry["seen_at"] = entry.get("seen_at") or obs.fetched_at
            entry["practice"] = entry.get("practice") or practice
            entry["_group"] = group
            entries.append(entry)
    return entries


_NAMES_THE_PROCEDURE = re.compile(r"micro-?\s?needl|collagen induction|skin needling", re.I)
_SERVICE_PAGE = re.compile(
    r"service|treatment|procedure|microneedl|skin-?care|aesthetic|cosmetic", re.I
)


def quote_strength(entry: dict) -> int:
    """How well a quote shows a patient the offer: it names the procedure in plain words (not only a
    device brand), it sits on a services or treatment page, and it states a price."""
    quote = entry.get("quote") or ""
    path = urlsplit(entry.get("url") or "").path
    return (
        2 * bool(_NAMES_THE_PROCEDURE.search(quote))
        + bool(_SERVICE_PAGE.search(path))
        + bool(entry.get("price"))
    )


def decide_offers(entries: Sequence[dict]) -> tuple[bool | None, dict | None]:
    """The microneedling verdict and the quote that backs it.

    Per practice (website, else practice name) the newest evidence wins, a positive one winning a tie.
    Any practice whose newest word is positive -> True; evidence but all of it negated -> False;
    nothing -> None. The quote shown is the newest positive from an offering practice, preferring
    practitioner-scope quotes (they name the person) over practice-wide ones.
    """
    if not entries:
        return None, None
    by_group: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        by_group[entry["_group"]].append(entry)
    offering: list[dict] = []
    for group_entries in by_group.values():
        newest = max(group_entries, key=lambda e: (e["seen_at"], not e.get("negated")))
        if not newest.get("negated"):
            offering.extend(e for e in group_entries if not e.get("negated"))
    if not offering:
        return False, None
    # Among equals the entry the source listed first wins, so the choice never depends on wording.
    position = {id(entry): number for number, entry in enumerate(entries)}
    best = max(
        offering,
        key=lambda e: (
            e.get("scope") == "practitioner",
            quote_strength(e),
            e["seen_at"],
            -position[id(e)],
        ),
    )
    return True, {
        "quote": best.get("quote"),
        "url": best.get("url"),
        "seen_at": best.get("seen_at"),
        "scope": best.get("scope"),
        "practice": best.get("practice"),
        "term": best.get("term"),
        "price": best.get("price"),
    }
