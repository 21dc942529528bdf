"""Curation actions: each one is an override in the store plus an audit entry (who, when, before,
after, why). The form parsing is pure; the functions taking a Store are the thin writing shell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from index.records import SPECIALTY_SLUGS
from index.store import Store
from search_web.admin.catalog import (
    APPROVED,
    VERIFIED,
    AdminListing,
    member_keys,
    verification_snapshot,
)

LISTING_ACTIONS = ("approve", "verify", "hide", "unhide")
REPORT_OUTCOMES = ("resolved", "dismissed")
# Bulk actions on the queue that close every open patient report of the selected listings.
BULK_REPORT_ACTIONS = {"resolve reports": "resolved", "dismiss reports": "dismissed"}
BULK_ACTIONS = (*LISTING_ACTIONS, *BULK_REPORT_ACTIONS)
EDITABLE_FIELDS = ("name", "credentials", "specialties", "website", "offers_microneedling")
# "as crawled" removes the override; an editor may say "does not offer" or "unknown", but never
# "offers" without a quote: no quote, no claim.
OFFERS_CHOICES = {"crawled": ..., "no": False, "unknown": None}
MAX_WHY = 500


class ActionError(ValueError):
    """The curator asked for something that cannot be done; the message says why (HTTP 400)."""


@dataclass
class FieldEdit:
    field: str
    value: Any  # `...` (Ellipsis) means "back to the crawled value"


def clean_why(why: str | None) -> str:
    text = " ".join((why or "").split())
    if len(text) > MAX_WHY:
        raise ActionError(f"the reason is limited to {MAX_WHY} characters")
    return text


def parse_credentials(text: str) -> list[str]:
    found: list[str] = []
    for part in (text or "").replace(";", ",").split(","):
        credential = part.replace(".", "").strip().upper()
        if credential and credential not in found:
            if len(credential) > 12 or not credential.replace("-", "").isalnum():
                raise ActionError(
                    f"{part.strip()!r} does not look like a credential (e.g. MD, FAAD)"
                )
            found.append(credential)
    return found


def parse_website(text: str) -> str | None:
    url = (text or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ActionError("a website must be an http:// or https:// address")
    return url


def parse_edit(
    form: Mapping[str, Any], specialties: Sequence[str], entry: AdminListing
) -> list[FieldEdit]:
    """The fields an edit form changes, compared with what the public sees now (pure).

    `specialties` is the list of checked specialty boxes (a multi-valued form field).
    """
    listing = entry.listing
    edits: list[FieldEdit] = []
    name = " ".join(str(form.get("name") or "").split())
    if not name:
        raise ActionError("a listing needs a name")
    if len(name) > 120:
        raise ActionError("a name is limited to 120 characters")
    if name != listing.name:
        edits.append(FieldEdit("name", name))
    credentials = parse_credentials(str(form.get("credentials") or ""))
    if credentials != list(listing.credentials):
        edits.append(FieldEdit("credentials", credentials))
    unknown = [slug for slug in specialties if slug not in SPECIALTY_SLUGS]
    if unknown:
        raise ActionError(f"unknown specialty {unknown[0]!r}")
    chosen = [slug for slug in SPECIALTY_SLUGS if slug in specialties]
    if not chosen:
        raise ActionError("choose at least one specialty")
    if chosen != [slug for slug in SPECIALTY_SLUGS if slug in listing.specialties]:
        edits.append(FieldEdit("specialties", chosen))
    website_text = str(form.get("website") or "").strip()
    # An unchanged field is no edit, even when the crawled value would not pass the check below.
    if website_text != (listing.website or ""):
        edits.append(FieldEdit("website", parse_website(website_text)))
    offers = str(form.get("offers_microneedling") or "crawled")
    if offers not in OFFERS_CHOICES:
        raise ActionError("offers microneedling must be 'as crawled', 'no' or 'unknown'")
    has_override = entry.latest("offers_microneedling") is not None
    if offers == "crawled":
        if has_override:
            edits.append(FieldEdit("offers_microneedling", ...))
    elif not has_override or OFFERS_CHOICES[offers] != listing.offers_microneedling:
        edits.append(FieldEdit("offers_microneedling", OFFERS_CHOICES[offers]))
    return edits


# --- writing shell ---------------------------------------------------------------------------------


def _replace_override(
    store: Store, entry: AdminListing, field: str, value: Any, who: str, why: str
) -> None:
    """One active override per field: retire the older ones, then add the new value (unless `...`)."""
    for override in entry.overrides:
        if override.field == field and override.active:
            store.deactivate_override(override.id, who, why)
    if value is not ...:
        store.add_override(entry.id, field, value, who, why)


def _value(entry: AdminListing, field: str) -> Any:
    override = entry.latest(field)
    return override.value if override else None


def apply_listing_action(
    store: Store, entry: AdminListing, action: str, who: str, why: str
) -> None:
    why = clean_why(why)
    if action == "approve":
        before = _value(entry, APPROVED)
        after = {"members": member_keys(entry)}
        _replace_override(store, entry, APPROVED, after, who, why)
    elif action == "verify":
        before = _value(entry, VERIFIED)
        after = {"snapshot": verification_snapshot(entry.crawled)}
        _replace_override(store, entry, VERIFIED, after, who, why)
    elif action in ("hide", "unhide"):
        before = {"hidden": entry.listing.hidden}
        after = {"hidden": action == "hide"}
        _replace_override(store, entry, "hidden", action == "hide", who, why)
    else:
        raise ActionError(
            f"unknown action {action!r}; expected one of {', '.join(LISTING_ACTIONS)}"
        )
    store.audit(who, f"listing.{action}", entry.id, before, after, why)


def apply_edit(
    store: Store, entry: AdminListing, edits: list[FieldEdit], who: str, why: str
) -> None:
    why = clean_why(why)
    if not edits:
        raise ActionError("nothing changed")
    before = {edit.field: getattr(entry.listing, edit.field) for edit in edits}
    after: dict[str, Any] = {}
    for edit in edits:
        _replace_override(store, entry, edit.field, edit.value, who, why)
        after[edit.field] = getattr(entry.crawled, edit.field) if edit.value is ... else edit.value
    store.audit(who, "listing.edit", entry.id, before, after, why)


def merge_listings(
    store: Store, target: AdminListing, other: AdminListing, who: str, why: str
) -> None:
    """Ask resolution to put two listings' observations in one cluster (a must-link override)."""
    why = clean_why(why)
    if target.id == other.id:
        raise ActionError("choose two different listings to merge")
    npis = {m.npi for m in target.members + other.members if m.npi}
    if len(npis) > 1:
        raise ActionError(
            "these listings carry different NPIs, so they are different people and cannot be merged"
        )
    pair = [member_keys(target)[0], member_keys(other)[0]]
    store.add_override(target.id, "merge", {"together": pair}, who, why)
    for entry, partner in ((target, other), (other, target)):
        store.audit(
            who,
            "listing.merge",
            entry.id,
            {"members": member_keys(entry)},
            {
                "merged_with": partner.id,
                "members": sorted(member_keys(target) + member_keys(other)),
            },
            why,
        )


def unmerge(store: Store, entry: AdminListing, key: str, who: str, why: str) -> None:
    """Take one observation out of a listing: undo the admin merge that brought it in, or, for a
    merge the resolver made itself, add cannot-link overrides against every other member."""
    why = clean_why(why)
    keys = member_keys(entry)
    if key not in keys:
        raise ActionError("that source record is not part of this listing")
    if len(keys) < 2:
        raise ActionError("a listing with one source record has nothing to unmerge")
    undone = False
    for override in entry.overrides:
        together = (override.value or {}).get("together") if override.field == "merge" else None
        if together and key in together:
            store.deactivate_override(override.id, who, why)
            undone = True
    # Undoing the admin merge may not be enough (the resolver could link them by itself), so the
    # split is always recorded; it also keeps a later recrawl from joining them again.
    for other in keys:
        if other != key:
            store.add_override(entry.id, "split", {"apart": [key, other]}, who, why)
    store.audit(
        who,
        "listing.unmerge",
        entry.id,
        {"members": keys},
        {"members": [k for k in keys if k != key], "split_off": key, "undid_admin_merge": undone},
        why,
    )


def close_listing_reports(
    store: Store, entry: AdminListing, action: str, who: str, why: str
) -> int:
    """Close every open report of one listing as the bulk action says; returns how many."""
    outcome = BULK_REPORT_ACTIONS[action]
    for report in entry.reports:
        resolve_report(store, report.id, outcome, who, why)
    return len(entry.reports)


def resolve_report(store: Store, report_id: int, outcome: str, who: str, why: str) -> None:
    why = clean_why(why)
    if outcome not in REPORT_OUTCOMES:
        raise ActionError(f"a report is closed as one of {', '.join(REPORT_OUTCOMES)}")
    matching = [r for r in store.reports() if r.id == report_id]
    if not matching:
        raise ActionError(f"there is no report {report_id}")
    report = matching[0]
    store.set_report_status(report_id, outcome, who, why)
    store.audit(
        who,
        f"report.{outcome}",
        report.practitioner_id,
        {"report": report_id, "status": report.status},
        {"report": report_id, "status": outcome},
        why,
    )
