"""Everyone the store describes, resolved into people and materialised, without writing anything:
what a build publishes and what the back office shows (each listing as crawled and as published,
hidden ones included).

Owns: Person, People, read_people (one resolution over the whole store) and people_as_built (the
quick path for a few edited people). Imports the store to read it; must not import index.build,
index.search, search_web or crawler.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from index.contact_keys import site_root
from index.materialise import apply_overrides, materialise
from index.records import Listing, Override, StoredObservation
from index.resolve import Cluster, Link, constraints_from_overrides, resolve
from index.store import Store


@dataclass
class Person:
    """One resolved person: their observations, overrides and listing before and after the admin."""

    cluster: Cluster
    ids: set[str]  # the cluster id and any earlier ids of the same person (their overrides moved)
    members: list[StoredObservation]  # in cluster.links order
    overrides: list[Override]  # active overrides under any of `ids`, oldest first
    crawled: Listing | None  # from crawled data alone; None: not a physician, never listed
    listing: Listing | None  # as published (overrides applied); may be hidden


@dataclass
class People:
    """One resolution of the store: the people, the clusters to record, and the overrides to re-key."""

    people: list[Person]
    clusters: list[Cluster]
    moves: dict[int, str]  # override id -> the cluster id that now holds its person
    observations: int  # observations read, practices included


def _person(
    cluster: Cluster,
    ids: set[str],
    members: list[StoredObservation],
    overrides: list[Override],
    practices: list[StoredObservation],
    now: datetime,
) -> Person:
    overrides = sorted(overrides, key=lambda o: (o.created_at, o.id))
    crawled = materialise(cluster, members, [], now, practices)
    listing = crawled
    if crawled is not None and overrides:
        # Applying overrides to the crawled listing is what materialise(..., overrides) does.
        listing = apply_overrides(copy.deepcopy(crawled), overrides)
    return Person(cluster, ids, members, overrides, crawled, listing)


def _websites(members: list[StoredObservation]) -> set[str]:
    return {site_root(m.observation.payload.get("website")) for m in members} - {None}


def read_people(store: Store, now: datetime, wanted: set[str] | None = None) -> People:
    """Resolve every practitioner observation; materialise everyone, or only the people whose current
    or earlier id is in `wanted`. Practice observations lend their evidence to the people whose
    website they share; overrides follow their person when a cluster id disappeared (e.g. a person
    without an NPI gained one)."""
    stored = store.observations()
    practitioners = [s for s in stored if s.observation.kind == "practitioner"]
    practices_by_site: dict[str, list[StoredObservation]] = defaultdict(list)
    for s in stored:
        if s.observation.kind == "practice":
            root = site_root(s.observation.payload.get("website") or s.observation.url)
            if root:
                practices_by_site[root].append(s)
    overrides = store.overrides_for(None)
    clusters = resolve(
        [(s.id, s.observation) for s in practitioners], constraints_from_overrides(overrides)
    )
    by_id = {s.id: s for s in practitioners}
    previous_links = store.practitioner_links()
    cluster_ids = {c.id for c in clusters}
    overrides_by_pid: dict[str, list[Override]] = defaultdict(list)
    for override in overrides:
        overrides_by_pid[override.practitioner_id].append(override)

    people: list[Person] = []
    moves: dict[int, str] = {}
    for cluster in clusters:
        ids = {cluster.id} | {
            previous_links[obs_id]
            for obs_id in cluster.observation_ids
            if obs_id in previous_links and previous_links[obs_id] not in cluster_ids
        }
        if wanted is not None and not ids & wanted:
            continue
        members = [by_id[obs_id] for obs_id in cluster.observation_ids]
        cluster_overrides = [o for pid in sorted(ids) for o in overrides_by_pid.get(pid, [])]
        for override in cluster_overrides:
            if override.practitioner_id != cluster.id:
                moves[override.id] = cluster.id
        practices = [
            p for site in sorted(_websites(members)) for p in practices_by_site.get(site, [])
        ]
        people.append(_person(cluster, ids, members, cluster_overrides, practices, now))
    return People(people=people, clusters=clusters, moves=moves, observations=len(stored))


def _root_url_spellings(sites: set[str]) -> set[str]:
    """Every way a crawler writes a site's root URL as a practice key ("https://www.host/")."""
    return {
        f"{scheme}://{www}{site}/"
        for site in sites
        for scheme in ("http", "https")
        for www in ("", "www.")
    }


def people_as_built(store: Store, now: datetime, wanted: set[str]) -> list[Person] | None:
    """These people as the last build clustered them, re-materialised from their observations and
    overrides as they are now: the work scales with the people edited, not with the store. None
    when one of them is not among the last build's clusters (a new id; read_people then)."""
    members_by_pid = store.linked_observations(wanted)
    if set(members_by_pid) != wanted:
        return None
    people = []
    for pid, members in sorted(members_by_pid.items()):
        npis = sorted({m.observation.payload.get("npi") for m in members} - {None})
        cluster = Cluster(
            id=pid,
            anchor=f"npi:{npis[0]}" if npis else f"obs:{members[0].observation.source_key}",
            npi=npis[0] if npis else None,
            links=[Link(m.id, m.key, "as built", 1.0) for m in members],
        )
        sites = _websites(members)
        practices = [
            p
            for p in store.observations_by_key("practice", _root_url_spellings(sites))
            if site_root(p.observation.payload.get("website") or p.observation.url) in sites
        ]
        people.append(_person(cluster, {pid}, members, store.overrides_for(pid), practices, now))
    return people
