"""Entity resolution (pure): cluster practitioner observations into people.

Rules, strongest first:
1. Admin constraints from overrides: `merge` (must-link) and `split` (cannot-link) between observation
   keys ("source|kind|source_key"), so they survive any recrawl.
2. Same NPI -> same person. Two different NPIs are never in one cluster, whatever else matches
   (admin merges included).
3. An observation without an NPI joins another observation (or its cluster) when the normalised names
   match AND they share a phone, a street, or the same practice website (same last name and first
   initial), or only a ZIP when nothing contradicts it (not two different practice websites, not
   two sets of streets and phones with none in common). Candidate links are applied best score
   first, so the outcome does not depend on input order.
   Names match when: the last names agree (exactly without spaces and hyphens, within one typo for
   names of 5+ letters, or one is part of the other's double name: "Lopez-Brandt" ~ "Brandt"); and
   the first names agree after nicknames are mapped ("Bob" -> "robert"), or one is an initial of
   the other (also "R. James" ~ "James": a person who goes by the middle name), or they differ by
   one typo in a name of 6+ letters. Never: one first name extending the other ("Paul"/"Paula",
   "Daniel"/"Danielle"), known look-alike given names ("Francis"/"Frances"), or different
   generational suffixes ("Sr."/"Jr.", and on one website "Robert Stone"/"Robert Stone Jr.").
Cluster ids are "p-" + 10 hex chars of sha1(anchor); the anchor is "npi:<NPI>" or, without one,
"obs:<lowest observation key>".

Owns: Cluster, Link, Constraints, resolve, match_reason, cluster_id. What each person's listing
then says is index.materialise. Must not import: any I/O (store, build, geo, files).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from index.contact_keys import phone_digits, site_root, street_key, zip5
from index.names import NameKey, name_similarity, normalise_name, suffixes_conflict
from index.records import Observation

NAME_MATCH_THRESHOLD = (
    88.0  # rapidfuzz ratio on "first last"; below this, names are different people
)
MAX_CONTACT_BLOCK = 50  # larger phone/street/website blocks are not compared pairwise


@dataclass
class Link:
    observation_id: int
    key: str
    reason: str
    score: float


@dataclass
class Cluster:
    id: str
    anchor: str
    npi: str | None
    links: list[Link] = field(default_factory=list)

    @property
    def observation_ids(self) -> list[int]:
        return [link.observation_id for link in self.links]


@dataclass
class Constraints:
    """Admin decisions as observation-key pairs: `together` must share a cluster, `apart` must not."""

    together: list[tuple[str, str]] = field(default_factory=list)
    apart: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Features:
    name: NameKey
    phones: frozenset[str]
    zips: frozenset[str]
    streets: frozenset[str]
    site: str | None
    source: str = ""


def _features(payload: dict[str, Any], source: str = "") -> _Features:
    locations = payload.get("locations") or []
    return _Features(
        source=source,
        name=normalise_name(payload),
        phones=frozenset(p for p in (phone_digits(loc.get("phone")) for loc in locations) if p),
        zips=frozenset(z for z in (zip5(loc.get("postal_code")) for loc in locations) if z),
        streets=frozenset(
            s
            for s in (street_key(loc.get("street"), loc.get("postal_code")) for loc in locations)
            if s
        ),
        # Only the practice website: a directory's profile URL is shared by everyone it lists.
        site=site_root(payload.get("website")),
    )


def match_reason(a: _Features, b: _Features) -> tuple[str, float] | None:
    """Why two observations are the same person, with a 0..1 score, or None."""
    similarity = name_similarity(a.name, b.name)
    same_site = bool(a.site and a.site == b.site)
    if similarity < NAME_MATCH_THRESHOLD:
        return None
    if suffixes_conflict(a.name, b.name, same_site and a.source == b.source == "practice_site"):
        return None
    if same_site and a.name.first_initial == b.name.first_initial:
        return "name+website", round(max(similarity, 90.0) / 100, 4)
    if a.phones & b.phones:
        return "name+phone", round(similarity / 100, 4)
    if a.streets & b.streets:
        return "name+street", round(similarity / 100 * 0.98, 4)
    if a.zips & b.zips:
        # A shared ZIP alone is weak: two practices in one medical tower share it. Refuse it when
        # the records name different practice websites, or give addresses and phones that all differ.
        if a.site and b.site and a.site != b.site:
            return None
        if a.streets and b.streets and a.phones and b.phones:
            return None
        return "name+zip", round(similarity / 100 * 0.95, 4)
    return None


def cluster_id(anchor: str) -> str:
    return "p-" + hashlib.sha1(anchor.encode()).hexdigest()[:10]


# --- clustering ---------------------------------------------------------------------------------


class _Groups:
    """Union-find that refuses unions that would join two NPIs or break a cannot-link pair."""

    def __init__(
        self, keys: Sequence[str], npis: dict[str, str | None], apart: set[frozenset[str]]
    ):
        self.parent = {key: key for key in keys}
        self.npis: dict[str, set[str]] = {
            key: ({npis[key]} if npis[key] else set()) for key in keys
        }
        self.members: dict[str, set[str]] = {key: {key} for key in keys}
        self.apart = apart

    def find(self, key: str) -> str:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def can_union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.npis[ra] and self.npis[rb] and self.npis[ra] != self.npis[rb]:
            return False
        if self.apart:
            for x in self.members[ra]:
                for y in self.members[rb]:
                    if frozenset((x, y)) in self.apart:
                        return False
        return True

    def union(self, a: str, b: str) -> bool:
        if not self.can_union(a, b):
            return False
        ra, rb = sorted((self.find(a), self.find(b)))
        self.parent[rb] = ra
        self.npis[ra] |= self.npis.pop(rb)
        self.members[ra] |= self.members.pop(rb)
        return True


def resolve(
    observations: Iterable[tuple[int, Observation]], constraints: Constraints | None = None
) -> list[Cluster]:
    """Cluster practitioner observations into people. Practice observations are ignored."""
    constraints = constraints or Constraints()
    items = sorted(
        ((obs_id, obs) for obs_id, obs in observations if obs.kind == "practitioner"),
        key=lambda pair: pair[1].key,
    )
    by_key = {obs.key: (obs_id, obs) for obs_id, obs in items}
    keys = list(by_key)
    npis = {key: (by_key[key][1].payload.get("npi") or None) for key in keys}
    apart = {frozenset(pair) for pair in constraints.apart if pair[0] != pair[1]}
    groups = _Groups(keys, npis, apart)
    reasons: dict[str, tuple[str, float]] = {}

    # Admin merges first (best effort: a merge that would join two NPIs or contradict a split is
    # skipped, because those rules outrank it).
    for a, b in constraints.together:
        if a in by_key and b in by_key and groups.union(a, b):
            reasons.setdefault(max(a, b), ("admin-merge", 1.0))

    by_npi: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        if npis[key]:
            by_npi[npis[key]].append(key)
    for members in by_npi.values():
        for other in members[1:]:
            if groups.union(members[0], other):
                reasons.setdefault(other, ("npi", 1.0))

    # Fuzzy links: only observations without an NPI can join by name, blocked by last name so
    # the comparison is not quadratic in the whole store.
    features = {key: _features(by_key[key][1].payload, by_key[key][1].source) for key in keys}
    # Blocking: compare two observations only when they share a last-name prefix, a phone, a street
    # or a website, so the work is not quadratic in the whole store. The shared contact keys catch
    # surnames misspelt in their first letters ("McLeod" / "MacLeod").
    blocks: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        found = features[key]
        if not found.name.last:
            continue
        block_keys = {"last:" + found.name.last.replace(" ", "")[:4]}
        block_keys |= {"last:" + word[:4] for word in found.name.last.split()}
        block_keys |= {"phone:" + phone for phone in found.phones}
        block_keys |= {"street:" + street for street in found.streets}
        if found.site:
            block_keys.add("site:" + found.site)
        for block_key in block_keys:
            blocks[block_key].append(key)
    for block_key in [k for k, members in blocks.items() if len(members) > MAX_CONTACT_BLOCK]:
        # A phone, street or site shared by that many records is a switchboard or a hospital,
        # not a clue; comparing all of them would be quadratic. Surname blocks are always kept.
        if not block_key.startswith("last:"):
            del blocks[block_key]
    edges: list[tuple[float, str, str, str]] = []
    compared: set[tuple[str, str]] = set()
    for block in blocks.values():
        loose = [key for key in block if not npis[key]]
        for i, a in enumerate(loose):
            # Each NPI-less observation against everything else in its block; pairs of two NPIs
            # are never compared because they can never merge.
            for b in loose[i + 1 :] + [key for key in block if npis[key]]:
                if (a, b) in compared:
                    continue
                compared.add((a, b))
                found = match_reason(features[a], features[b])
                if found:
                    reason, score = found
                    edges.append((-score, a, b, reason))
    edges.sort()
    for negative_score, a, b, reason in edges:
        if groups.union(a, b):
            # The observation without an NPI is the one that "joined".
            joiner = b if npis[a] and not npis[b] else a if npis[b] and not npis[a] else max(a, b)
            reasons.setdefault(joiner, (reason, -negative_score))

    roots: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        roots[groups.find(key)].append(key)
    clusters: list[Cluster] = []
    for members in roots.values():
        members.sort()
        cluster_npis = sorted({npis[key] for key in members if npis[key]})
        npi = cluster_npis[0] if cluster_npis else None
        anchor = f"npi:{npi}" if npi else f"obs:{members[0]}"
        cluster = Cluster(id=cluster_id(anchor), anchor=anchor, npi=npi)
        for key in members:
            if key in reasons:
                reason, score = reasons[key]
            elif npi and npis[key] == npi:
                reason, score = "npi", 1.0
            else:
                reason, score = "anchor", 1.0
            cluster.links.append(Link(by_key[key][0], key, reason, score))
        clusters.append(cluster)
    clusters.sort(key=lambda c: c.id)
    return clusters


def constraints_from_overrides(overrides: Iterable[Any]) -> Constraints:
    """Read `merge` / `split` overrides (value {"together": [k1, k2]} / {"apart": [k1, k2]})."""
    constraints = Constraints()
    for override in overrides:
        if not getattr(override, "active", True):
            continue
        value = override.value if isinstance(override.value, dict) else {}
        if override.field == "merge" and len(value.get("together") or []) == 2:
            constraints.together.append(tuple(value["together"]))
        elif override.field == "split" and len(value.get("apart") or []) == 2:
            constraints.apart.append(tuple(value["apart"]))
    return constraints
