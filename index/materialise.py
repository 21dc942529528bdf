"""Which values the public sees (pure but for the default geocoder): one cluster's observations ->
its Listing, with the admin's overrides applied last.

Owns: materialise, apply_overrides, SOURCE_PRIORITY and the overridable fields. Which observation
and rule supplied each field is index.provenance (recorded on the Listing). The microneedling
verdict is index.offers; the clusters come from index.resolve. Must not import: the store or the
build (it is handed observations and overrides); index.geo only lazily, as the default geocoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from index.contact_keys import street_key, zip5
from index.offers import offers_verdict
from index.provenance import listing_provenance, override_provenance
from index.records import LOCATION_FIELDS, Listing, Observation
from index.resolve import Cluster
from index.settings import configured_stale_days

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


class ObservationLike(Protocol):
    """What materialise needs from a stored observation (index.records.StoredObservation fits)."""

    id: int
    observation: Observation
    first_seen: str
    last_seen: str


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


CITY_AS_CRAWLED = "city_as_crawled"  # set on a location whose city was not its ZIP's city


def _check_city(location: dict, zip_city: Any) -> None:
    """A city the gazetteer does not give for the ZIP ("Road Austin" for 78746, a city of another
    state) is not published as crawled: the ZIP's own city is shown, and the crawled words are kept
    under CITY_AS_CRAWLED so the admin queue asks a person to check the address."""
    from index.gazetteer import city_key  # the gazetteer's own matching, not its file

    if not location.get("postal_code") or not location.get("city"):
        return
    known = zip_city(location["postal_code"])
    if known is None:
        return
    city, state = known
    state_ok = not location.get("state") or location["state"].upper() == state
    if city_key(location["city"]) == city_key(city) and state_ok:
        return
    location[CITY_AS_CRAWLED] = ", ".join(
        part for part in (location.get("city"), location.get("state")) if part
    )
    location["city"], location["state"] = city, state


def _default_zip_city(postal_code: str):
    from index.geo import zip_city

    return zip_city(postal_code)


def _locations(ranked: Sequence[Observation], geocode: Any, zip_city: Any = None) -> list[dict]:
    """Union of locations, deduplicated by (street, ZIP); earlier (better) sources win, later ones
    only fill blanks such as the practice name. Cities are checked against their ZIP."""
    zip_city = zip_city or _default_zip_city
    merged: dict[tuple, dict] = {}
    for obs in ranked:
        for raw in obs.payload.get("locations") or []:
            location = {key: raw.get(key) for key in LOCATION_FIELDS}
            location["practice"] = location["practice"] or obs.payload.get("practice_name")
            location["postal_code"] = zip5(location["postal_code"])
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
        _check_city(location, zip_city)
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

    offers, evidence, mention = offers_verdict(records, [p.observation for p in practices])

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
    stored_of = {id(s.observation): s for s in [*members, *practices]}
    listing.provenance = listing_provenance(
        listing,
        [stored_of[id(obs)] for obs in ranked],
        stored_of[id(primary)],
        practices,
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
            if listing.last_verified == override.created_at:
                override_provenance(listing.provenance, override, "last_verified")
            continue
        if override.field not in OVERRIDABLE_FIELDS:
            continue
        setattr(listing, override.field, override.value)
        override_provenance(listing.provenance, override)
    if listing.offers_microneedling is not True:
        # Never show a quote next to a "does not offer" verdict an admin set.
        listing.microneedling_evidence = None
        listing.provenance.pop("microneedling_evidence", None)
    if listing.offers_microneedling is not None:
        listing.microneedling_mention = None  # a verdict (crawled or an admin's) says more
    return listing
