"""Entity resolution (pure): cluster practitioner observations into people, then build their Listing.

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
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from index.records import LOCATION_FIELDS, Listing, Observation

SKINMAP_STALE_DAYS = 180  # default; the SKINMAP_STALE_DAYS setting (environment) overrides it


class BadSetting(ValueError):
    """A setting from the environment that cannot be used; the message names it."""


def configured_stale_days(environ: Mapping[str, str] | None = None) -> int:
    """Days without a sighting before a listing is stale: the SKINMAP_STALE_DAYS setting."""
    raw = (os.environ if environ is None else environ).get("SKINMAP_STALE_DAYS")
    if raw is None or not raw.strip():
        return SKINMAP_STALE_DAYS
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if days < 1:
        raise BadSetting(
            f"SKINMAP_STALE_DAYS must be a whole number of days (1 or more), got {raw!r}"
        )
    return days


NAME_MATCH_THRESHOLD = (
    88.0  # rapidfuzz ratio on "first last"; below this, names are different people
)
PROCEDURE = "microneedling"
MAX_CONTACT_BLOCK = 50  # larger phone/street/website blocks are not compared pairwise
SOURCE_PRIORITY = {"nppes": 0, "cms": 1, "practice_site": 2, "directory": 3}
VERIFIED_FIELD = "verified"  # an admin vouched for the listing: sets last_verified, not a field
OVERRIDABLE_FIELDS = {
    "name",
    "credentials",
    "specialties",
    "website",
    "offers_microneedling",
    "microneedling_evidence",
    "locations",
    "hidden",
    "npi_status",
}

NICKNAMES = {
    "bob": "robert",
    "bobby": "robert",
    "rob": "robert",
    "robbie": "robert",
    "bill": "william",
    "billy": "william",
    "will": "william",
    "liz": "elizabeth",
    "lizzie": "elizabeth",
    "beth": "elizabeth",
    "betsy": "elizabeth",
    "eliza": "elizabeth",
    "ben": "benjamin",
    "benji": "benjamin",
    "kate": "katherine",
    "katie": "katherine",
    "kathy": "katherine",
    "cathy": "katherine",
    "catherine": "katherine",
    "kathryn": "katherine",
    "jim": "james",
    "jimmy": "james",
    "jamie": "james",
    "mike": "michael",
    "mick": "michael",
    "dave": "david",
    "dan": "daniel",
    "danny": "daniel",
    "tom": "thomas",
    "tommy": "thomas",
    "joe": "joseph",
    "joey": "joseph",
    "chris": "christopher",
    "matt": "matthew",
    "nick": "nicholas",
    "tony": "anthony",
    "andy": "andrew",
    "drew": "andrew",
    "steve": "steven",
    "stephen": "steven",
    "rick": "richard",
    "rich": "richard",
    "dick": "richard",
    "ed": "edward",
    "ted": "edward",
    "jen": "jennifer",
    "jenny": "jennifer",
    "jess": "jessica",
    "sam": "samuel",
    "alex": "alexander",
    "meg": "margaret",
    "maggie": "margaret",
    "peggy": "margaret",
    "sue": "susan",
    "susie": "susan",
    "pat": "patricia",
    "patty": "patricia",
    "trish": "patricia",
    "vicky": "victoria",
    "abby": "abigail",
    "becky": "rebecca",
    "greg": "gregory",
    "jeff": "jeffrey",
    "larry": "lawrence",
    "jon": "jonathan",
    "nate": "nathan",
    "tim": "timothy",
    "ken": "kenneth",
    "ron": "ronald",
    "don": "donald",
    "chuck": "charles",
    "charlie": "charles",
    "libby": "elizabeth",
    "kat": "katherine",
    "katharine": "katherine",
    "becca": "rebecca",
}
# Different given names one letter apart (a typo rule would otherwise join them).
DISTINCT_GIVEN_NAMES = {
    frozenset(pair)
    for pair in (
        ("francis", "frances"),
        ("marian", "marion"),
        ("jessie", "jesse"),
        ("adrien", "adrian"),
        ("bobbie", "bobby"),
        ("andrea", "andreas"),
    )
}
_TITLES = {"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "miss", "mx"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}
_CREDENTIALS = {
    "md",
    "do",
    "mbbs",
    "phd",
    "facs",
    "faad",
    "faaca",
    "facms",
    "faafprs",
    "fasds",
    "pa",
    "pac",
    "np",
    "aprn",
    "fnp",
    "fnpc",
    "fnpbc",
    "rn",
    "bsn",
    "msn",
    "dnp",
    "mph",
    "mba",
    "ms",
    "cme",
    "dds",
    "dmd",
}


class ObservationLike(Protocol):
    """What resolution needs from a stored observation (index.store.StoredObservation fits)."""

    id: int
    observation: Observation
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class NameKey:
    first: str
    last: str
    first_initial: str
    suffix: str = ""  # "jr", "sr", "ii", ... ("" when none is given)
    middle: str = ""  # a full middle name after a first initial ("R. James Caldwell"), mapped

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}".strip()


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


# --- normalisation ------------------------------------------------------------------------------


def _ascii_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    text = text.replace("'", "")
    return re.sub(r"[^a-z\s,-]", "", text.replace(".", "")).replace("-", " ").split()


def canonical_first(first: str) -> str:
    return NICKNAMES.get(first, first)


def _suffix(payload: dict[str, Any]) -> str:
    """The generational suffix from the suffix field, else from the display name ("", "jr", "iii")."""
    for word in _ascii_words(payload.get("suffix") or ""):
        if word.rstrip(",") in _SUFFIXES:
            return word.rstrip(",")
    words = _ascii_words(payload.get("name") or "")
    for word in words[1:]:
        # "v" is left out: in a display name it is far more often a middle initial.
        if word.rstrip(",") in _SUFFIXES - {"v"}:
            return word.rstrip(",")
    return ""


def normalise_name(payload: dict[str, Any]) -> NameKey:
    """First and last name without titles, credentials, suffixes or middle initials; nicknames mapped."""
    suffix = _suffix(payload)
    middle = " ".join(_ascii_words(payload.get("middle_name") or "")).replace(",", "")
    first = " ".join(_ascii_words(payload.get("first_name") or "")).replace(",", "")
    last = " ".join(_ascii_words(payload.get("last_name") or "")).replace(",", "")
    if not (first and last):
        words = _ascii_words(payload.get("name") or "")
        # Everything after the first comma is credentials ("Ana Ruiz, MD, FAAD").
        kept: list[str] = []
        for word in words:
            kept.append(word.rstrip(","))
            if word.endswith(","):
                break
        while kept and kept[0] in _TITLES:
            kept.pop(0)
        # Trailing credentials without a comma ("Ana Ruiz MD"); never eat into a two-word name,
        # since "Do" and "Le" are surnames too.
        while len(kept) > 2 and (kept[-1] in _CREDENTIALS or kept[-1] in _SUFFIXES):
            kept.pop()
        words = [w for w in kept if w]
        if not words:
            return NameKey("", "", "")
        # First and last word; middle names and initials in between are ignored.
        first, last = (words[0], words[-1]) if len(words) > 1 else ("", words[0])
        middle = words[1] if len(words) > 2 else ""
    else:
        first_words = first.split()
        first = first_words[0]
        if len(first) == 1 and len(first_words) > 1:
            middle = first_words[1]  # "R. James" given as the first name
        # A middle initial sometimes lands in last_name ("M Ruiz"); suffixes never belong there.
        last_words = [w for w in last.split() if w not in _SUFFIXES and len(w) > 1]
        last = " ".join(last_words) or last
    first = canonical_first(first)
    # Only a full middle name after a first initial says what the person is called.
    middle = canonical_first(middle.split()[0]) if len(first) == 1 and len(middle) > 1 else ""
    return NameKey(first=first, last=last, first_initial=first[:1], suffix=suffix, middle=middle)


def _one_typo_apart(a: str, b: str) -> bool:
    return OSA.distance(a, b) <= 1


def last_name_similarity(a: str, b: str) -> float:
    """0..100: one name written two ways scores 90 or more."""
    joined_a, joined_b = a.replace(" ", ""), b.replace(" ", "")
    if joined_a == joined_b:
        return 100.0  # "de la cruz" / "delacruz", "lopez hart" / "lopez-hart"
    words_a, words_b = set(a.split()), set(b.split())
    if len(words_a) != len(words_b) and (words_a < words_b or words_b < words_a):
        return 92.0  # one half of a double (married, hyphenated) name
    if min(len(joined_a), len(joined_b)) >= 5 and _one_typo_apart(joined_a, joined_b):
        return 92.0  # "Kazmarek" / "Kaczmarek", "Motnalvo" / "Montalvo"
    return fuzz.ratio(a, b)


def first_name_similarity(a: NameKey, b: NameKey) -> float:
    """0..100 for first names already mapped from nicknames; 0 when they name different people."""
    if not a.first or not b.first:
        return 0.0
    if a.first == b.first:
        return 100.0
    if len(a.first) == 1 or len(b.first) == 1:
        initial, full = (a, b) if len(a.first) == 1 else (b, a)
        if initial.middle and len(full.first) > 1:
            # "R. James Caldwell" goes by James: the middle name must then agree.
            return 90.0 if initial.middle == full.first else 0.0
        # "A. Ruiz" against "Ana Ruiz": compatible, not proven
        return 90.0 if a.first_initial == b.first_initial else 0.0
    if a.first.startswith(b.first) or b.first.startswith(a.first):
        return 0.0  # Paul / Paula, Daniel / Danielle, Justin / Justine: different names
    if frozenset((a.first, b.first)) in DISTINCT_GIVEN_NAMES:
        return 0.0
    if min(len(a.first), len(b.first)) >= 6 and _one_typo_apart(a.first, b.first):
        return 90.0  # Johnathan / Jonathan, Cristopher / Christopher
    return 0.0


def suffixes_conflict(a: NameKey, b: NameKey, same_page_set: bool) -> bool:
    """Sr. and Jr. are two people. A suffix on one side only is a conflict when both records come
    from one website's own pages: a site that lists "Robert Stone" and "Robert Stone Jr." lists two
    people, while a registry often has a suffix the practice site leaves out."""
    if a.suffix and b.suffix:
        return a.suffix != b.suffix
    return same_page_set and a.suffix != b.suffix


def name_similarity(a: NameKey, b: NameKey) -> float:
    """0..100. Last names must agree closely and first names must be compatible (nicknames mapped)."""
    if not a.last or not b.last:
        return 0.0
    last = last_name_similarity(a.last, b.last)
    if last < 90:
        return 0.0
    first = first_name_similarity(a, b)
    if not first:
        return 0.0
    return round(0.6 * last + 0.4 * first, 2)


def _digits(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def _zip5(code: str | None) -> str | None:
    digits = re.sub(r"\D", "", code or "")
    return digits[:5] if len(digits) >= 5 else None


_UNIT_WORDS = {"suite", "ste", "unit", "apt", "room", "rm"}


def street_key(street: str | None, postal_code: str | None) -> str | None:
    if not street:
        return None
    # Unit designators are dropped so "Suite 210", "Ste. 210" and "#210" give one key.
    words = [w for w in re.sub(r"[^a-z0-9 ]+", " ", street.lower()).split() if w not in _UNIT_WORDS]
    replacements = {
        "street": "st",
        "avenue": "ave",
        "suite": "ste",
        "road": "rd",
        "boulevard": "blvd",
        "drive": "dr",
        "lane": "ln",
        "parkway": "pkwy",
        "highway": "hwy",
    }
    words = [replacements.get(w, w) for w in words]
    return f"{' '.join(words)}|{_zip5(postal_code) or ''}"


def site_root(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return None
    return f"{host}:{parts.port}" if parts.port else host


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
        phones=frozenset(p for p in (_digits(loc.get("phone")) for loc in locations) if p),
        zips=frozenset(z for z in (_zip5(loc.get("postal_code")) for loc in locations) if z),
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


def _obs_key(obs: Observation) -> str:
    return f"{obs.source}|{obs.kind}|{obs.source_key}"


def resolve(
    observations: Iterable[tuple[int, Observation]], constraints: Constraints | None = None
) -> list[Cluster]:
    """Cluster practitioner observations into people. Practice observations are ignored."""
    constraints = constraints or Constraints()
    items = sorted(
        ((obs_id, obs) for obs_id, obs in observations if obs.kind == "practitioner"),
        key=lambda pair: _obs_key(pair[1]),
    )
    by_key = {_obs_key(obs): (obs_id, obs) for obs_id, obs in items}
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


# --- materialisation ----------------------------------------------------------------------------


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _is_physician(observations: Sequence[Observation]) -> bool:
    nppes = [o for o in observations if o.source == "nppes" and "is_physician" in o.payload]
    if nppes:
        return bool(max(nppes, key=lambda o: o.fetched_at).payload["is_physician"])
    for obs in observations:
        if obs.payload.get("is_physician") is True:
            return True
        creds = {c.upper() for c in obs.payload.get("credentials") or []}
        if obs.payload.get("is_physician") is None and creds & {"MD", "DO"}:
            return True
    return False


def _locations(ranked: Sequence[Observation], geocode: Any) -> list[dict]:
    """Union of locations, deduplicated by (street, ZIP); earlier (better) sources win, later ones
    only fill blanks such as the practice name."""
    merged: dict[tuple, dict] = {}
    for obs in ranked:
        for raw in obs.payload.get("locations") or []:
            location = {key: raw.get(key) for key in LOCATION_FIELDS}
            location["practice"] = location["practice"] or obs.payload.get("practice_name")
            location["postal_code"] = _zip5(location["postal_code"])
            key = (street_key(location["street"], None) or "", location["postal_code"] or "")
            if key == ("", ""):
                key = ("city", (location["city"] or "").lower(), (location["state"] or "").upper())
            if key in merged:
                existing = merged[key]
                for name, value in location.items():
                    if existing.get(name) in (None, "") and value not in (None, ""):
                        existing[name] = value
            else:
                merged[key] = location
    out = []
    for location in merged.values():
        if location["lat"] is None or location["lon"] is None:
            point = geocode(location["postal_code"], location["city"], location["state"])
            if point is None:
                continue  # an unplaceable location cannot be searched or shown on a map
            location["lat"], location["lon"] = point
        out.append(location)
    return out


def _default_geocode(postal_code: str | None, city: str | None, state: str | None):
    from index.geo import city_latlon, zip_latlon

    return (postal_code and zip_latlon(postal_code)) or city_latlon(city or "", state or "")


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


def materialise(
    cluster: Cluster,
    observations: Sequence[ObservationLike],
    overrides: Sequence[Any] = (),
    now: datetime | None = None,
    practices: Sequence[ObservationLike] = (),
    geocode: Any = None,
    stale_after_days: int | None = None,
) -> Listing | None:
    """One person's public Listing, or None when they are not a physician (or are one of a
    specialty outside the directory, by their own sources' word).

    `observations` are this cluster's stored observations; `practices` are practice observations
    whose website matches one of theirs (their practice-wide evidence counts for the person);
    `overrides` are this cluster's active overrides, applied last in creation order.
    """
    now = now or datetime.now(UTC)
    geocode = geocode or _default_geocode
    wanted = set(cluster.observation_ids)
    members = [s for s in observations if s.id in wanted] or list(observations)
    records = [s.observation for s in members]
    if not records or not _is_physician(records):
        return None

    nppes = sorted((o for o in records if o.source == "nppes"), key=lambda o: o.fetched_at)
    # Best source first, newest first within a source (two stable sorts).
    ranked = sorted(records, key=lambda o: o.fetched_at, reverse=True)
    ranked.sort(key=lambda o: SOURCE_PRIORITY.get(o.source, 9))
    primary = nppes[-1] if nppes else ranked[0]

    credentials: list[str] = list(primary.payload.get("credentials") or [])
    if not credentials:
        for obs in ranked:
            for credential in obs.payload.get("credentials") or []:
                if credential not in credentials:
                    credentials.append(credential)
    specialties: list[str] = list(primary.payload.get("specialties") or [])
    if not specialties:
        for obs in ranked:
            for slug in obs.payload.get("specialties") or []:
                if slug not in specialties:
                    specialties.append(slug)

    if not specialties and any(o.payload.get("other_specialty") for o in records):
        # A cardiologist on a dermatology department's page: a physician, but not this directory's.
        return None

    npi_status = None
    hidden = False
    if nppes:
        active = (nppes[-1].payload.get("status") or "active") != "deactivated"
        npi_status = {"active": active, "as_of": nppes[-1].fetched_at[:10]}
        hidden = not active

    entries = _evidence_entries(records, [p.observation for p in practices])
    offers, evidence = decide_offers(entries)
    mention = mention_of(entries) if offers is None else None

    website = None
    for obs in sorted(
        records, key=lambda o: (o.source != "practice_site", SOURCE_PRIORITY.get(o.source, 9))
    ):
        if obs.payload.get("website"):
            website = obs.payload["website"]
            break

    first_seen = min(s.first_seen for s in members)
    last_seen = max(s.last_seen for s in members)
    last_seen_time = _parse_time(last_seen)
    days = configured_stale_days() if stale_after_days is None else stale_after_days
    stale = bool(last_seen_time and now - last_seen_time > timedelta(days=days))

    listing = Listing(
        id=cluster.id,
        name=primary.payload.get("name") or "",
        credentials=credentials,
        specialties=specialties,
        npi=cluster.npi,
        npi_status=npi_status,
        offers_microneedling=offers,
        microneedling_evidence=evidence,
        microneedling_mention=mention,
        locations=_locations(ranked, geocode),
        sources=[
            {
                "kind": s.observation.source,
                "url": s.observation.url,
                "first_seen": s.first_seen,
                "last_seen": s.last_seen,
            }
            for s in sorted(
                members, key=lambda s: (SOURCE_PRIORITY.get(s.observation.source, 9), s.id)
            )
        ],
        website=website,
        first_seen=first_seen,
        last_seen=last_seen,
        # Verified = checked by an authority: the NPPES registry here, an admin's "verify" below.
        last_verified=nppes[-1].fetched_at if nppes else None,
        hidden=hidden,
        stale=stale,
    )
    return apply_overrides(listing, overrides)


def apply_overrides(listing: Listing, overrides: Sequence[Any]) -> Listing:
    """Field overrides, oldest first so the newest wins; merge/split are resolution inputs, not fields."""
    for override in sorted(overrides, key=lambda o: (o.created_at, o.id)):
        if not getattr(override, "active", True):
            continue
        if override.field == VERIFIED_FIELD:
            listing.last_verified = max(
                filter(None, (listing.last_verified, override.created_at)), default=None
            )
            continue
        if override.field not in OVERRIDABLE_FIELDS:
            continue
        setattr(listing, override.field, override.value)
    if listing.offers_microneedling is not True:
        # Never show a quote next to a "does not offer" verdict an admin set.
        listing.microneedling_evidence = None
    if listing.offers_microneedling is not None:
        listing.microneedling_mention = None  # a verdict (crawled or an admin's) says more
    return listing
