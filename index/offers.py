"""The microneedling verdict (pure): does this person offer it, and which quote shows it.

Owns: offers_verdict (what index.materialise calls), decide_offers, mention_of, quote_strength
and the evidence entries they read. A mention is not an offer: entries carry the statement kind
and strength the crawler read (crawler/extract/evidence.py). Must not import: any I/O (store, build, geo, files).
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
) -> tuple[bool | None, dict | None, dict | None]:
    """The verdict, its quote, and (with no verdict) a mention, from a person's observations and
    their practices' (decide_offers, mention_of)."""
    entries = _evidence_entries(observations, practices)
    offers, evidence = decide_offers(entries)
    return offers, evidence, mention_of(entries) if offers is None else None


def _obs_key(obs: Observation) -> str:
    return obs.key


def _evidence_entries(
    observations: Sequence[Observation], practices: Sequence[Observation]
) -> list[dict]:
    """Every evidence entry of a person's observations and of their practices' observations.

    A practice site decides, once it has read the whole site, which of its statements apply to
    each of its physicians (crawler/extract/scope.py): its practitioner observation carries exactly
    those. So a practice's own (practice-wide) evidence only counts for a person the site did not
    itself list in that crawl (a physician known from a directory at that practice's website, or
    one a newer crawl of the site no longer names).
    """
    entries = []
    decided_at: dict[str, str] = {}  # site -> when its crawl last decided for this person
    for obs in observations:
        root = site_root(obs.payload.get("website"))
        if obs.source == "practice_site" and obs.kind == "practitioner" and root:
            decided_at[root] = max(decided_at.get(root, ""), obs.fetched_at)
    for obs in list(observations) + list(practices):
        practice = (
            obs.payload.get("practice_name")
            if obs.kind == "practitioner"
            else obs.payload.get("name")
        )
        group = site_root(obs.payload.get("website")) or practice or _obs_key(obs)
        if obs.kind == "practice" and obs.fetched_at <= decided_at.get(group, ""):
            continue  # the same crawl already said what applies to this person
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
# How much a statement shows an offer (crawler/extract/evidence.py); entries recorded before
# statements were classified carry no strength and were offer statements.
_STRENGTH_RANK = {"explicit": 3, "markup": 2, "convention": 1}


def statement_of(entry: dict) -> str:
    """ "offer", "refusal" or "mention" (older entries: an offer unless negated)."""
    return entry.get("statement") or ("refusal" if entry.get("negated") else "offer")


def counts_as_offer(entry: dict) -> bool:
    """An offer statement strong enough to list someone as offering (not a mention, nor a weak
    "contact us to learn more" outside a treatment page)."""
    return (
        statement_of(entry) == "offer" and (entry.get("strength") or "explicit") in _STRENGTH_RANK
    )


def quote_strength(entry: dict) -> int:
    """How well a quote shows a patient the offer: an explicit offer statement over structured data
    over a treatment page's heading; then it names the procedure in plain words (not only a device
    brand), it sits on a services or treatment page, and it states a price."""
    quote = entry.get("quote") or ""
    path = urlsplit(entry.get("url") or "").path
    return (
        4 * _STRENGTH_RANK.get(entry.get("strength") or "explicit", 0)
        + 2 * bool(_NAMES_THE_PROCEDURE.search(quote))
        + bool(_SERVICE_PAGE.search(path))
        + bool(entry.get("price"))
    )


def _evidence_view(entry: dict) -> dict:
    return {
        "quote": entry.get("quote"),
        "url": entry.get("url"),
        "seen_at": entry.get("seen_at"),
        "scope": entry.get("scope"),
        "practice": entry.get("practice"),
        "term": entry.get("term"),
        "price": entry.get("price"),
        "basis": entry.get("basis"),
    }


def decide_offers(entries: Sequence[dict]) -> tuple[bool | None, dict | None]:
    """The microneedling verdict and the quote that backs it.

    Per practice (website, else practice name) the newest evidence wins, an offer winning a tie.
    Any practice whose newest word is an offer statement -> True; a refusal and no offer -> False;
    only mentions, or nothing -> None (see `mention_of` for what a mention-only listing shows).
    The quote shown is the strongest offer statement from an offering practice, preferring
    practitioner-scope quotes (they name the person) over practice-wide ones.
    """
    if not entries:
        return None, None
    by_group: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        if statement_of(entry) != "mention" and (
            statement_of(entry) == "refusal" or counts_as_offer(entry)
        ):
            by_group[entry["_group"]].append(entry)
    if not by_group:
        return None, None
    offering: list[dict] = []
    for group_entries in by_group.values():
        newest = max(group_entries, key=lambda e: (e["seen_at"], counts_as_offer(e)))
        if counts_as_offer(newest):
            offering.extend(e for e in group_entries if counts_as_offer(e))
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
    return True, _evidence_view(best)


def mention_of(entries: Sequence[dict]) -> dict | None:
    """The newest sentence that only mentions the procedure (for a listing with no verdict: "mentions
    microneedling on its site; no statement that it is offered")."""
    mentions = [
        e for e in entries if statement_of(e) == "mention" or (
            statement_of(e) == "offer" and not counts_as_offer(e)
        )
    ]  # fmt: skip
    if not mentions:
        return None
    best = max(mentions, key=lambda e: (e["seen_at"], len(e.get("quote") or "") <= 300))
    return {"quote": best.get("quote"), "url": best.get("url"), "seen_at": best.get("seen_at")}
