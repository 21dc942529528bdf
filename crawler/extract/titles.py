"""What a job title or a credential line says a person is: a physician (of which specialty), or
staff (which role).

"Board-Certified Dermatologist" -> physician, dermatology; "Family Medicine Physician" -> physician
of another specialty; "Physician Assistant" -> staff. Staff titles are checked before physician
words, so "Physician Assistant" and "Nurse Practitioner" never read as physicians. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from crawler.extract.normalise import _specialty_table, refine_specialties, specialties_from_text

# Spelled-out staff roles, most specific first.
STAFF_TITLES: tuple[tuple[str, str], ...] = (
    (r"physician(?:'s)? assistant|physician associate|\bPA-C\b", "physician_assistant"),
    (r"nurse practitioner|\bAPRN\b|\bFNP(?:-C|-BC)?\b|\bNP-C\b", "nurse_practitioner"),
    (
        r"registered nurse|nurse injector|aesthetic nurse|cosmetic nurse|nurse specialist|"
        r"\bRN\b|\bBSN\b|\bLPN\b|\bLVN\b",
        "nurse",
    ),
    (
        r"a?esthetician|skin ?care (?:specialist|therapist|expert)|laser (?:technician|specialist)|"
        r"medical a?esthetician|skin therapist|lash|makeup artist",
        "aesthetician",
    ),
    (
        r"practice manager|office manager|manager|coordinator|receptionist|front desk|"
        r"medical assistant|scribe|billing|administrator|marketing|concierge|director of operations|"
        r"patient (?:care|services)|surgical scheduler|scheduler|technician|photographer",
        "other",
    ),
)
# Words that name a physician's job. "surgeon" alone is a physician in every US usage.
PHYSICIAN_TITLE = re.compile(
    r"\b(?:dermatologists?|dermatologic surgeon|dermatopathologist|surgeons?|physicians?|"
    r"medical doctor|doctor of (?:osteopathic )?medicine|internist|pediatrician|cardiologist|"
    r"ophthalmologist|otolaryngologist|rheumatologist|oncologist|psychiatrist|radiologist|"
    r"anesthesiologist|gynecologist|obstetrician|endocrinologist|allergist|neurologist|urologist|"
    r"gastroenterologist|pathologist|hospitalist|resident physician|dermatology resident|"
    r"fellow in (?:dermatology|plastic surgery|mohs))\b",
    re.I,
)
# Academic and leadership titles that name a physician only together with "Dr." or MD/DO.
DOCTOR_TITLE = re.compile(
    r"\b(?:professor|chief|chair(?:man|woman)?|director|medical director|founder|owner|"
    r"residency|faculty|attending|clinical instructor)\b",
    re.I,
)


@dataclass(frozen=True)
class Title:
    """What a title says: a role ("physician", "nurse"...), target specialty slugs, and whether it
    names a specialty outside the directory (cardiology, family medicine)."""

    role: str | None = None
    specialties: tuple[str, ...] = ()
    other_specialty: str | None = None
    needs_doctor: bool = False  # an academic or leadership title: physician only with "Dr."/MD
    other_first: bool = False  # it names a target specialty only as secondary to another


@cache
def _other_specialties() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(entry["pattern"], re.I), entry["name"])
        for entry in _specialty_table().get("other_specialty_patterns", [])
    )


def other_specialty(text: str) -> str | None:
    """The first specialty outside the directory that `text` claims ("cardiology"), or None."""
    for pattern, name in _other_specialties():
        if pattern.search(text):
            return name
    return None


def staff_role(text: str) -> str | None:
    """The staff role a title names, or None."""
    for pattern, role in STAFF_TITLES:
        if re.search(pattern, text, re.I):
            return role
    return None


def read_title(text: str | None) -> Title:
    """Read one job title or credential line (a card's second line, a schema.org jobTitle)."""
    if not text:
        return Title()
    role = staff_role(text)
    if role is not None:
        return Title(role=role)
    slugs, other, other_first = _claims_in_order(text)
    if PHYSICIAN_TITLE.search(text):
        return Title(
            role="physician", specialties=slugs, other_specialty=other, other_first=other_first
        )
    if DOCTOR_TITLE.search(text) and (slugs or other):
        return Title(
            role="physician",
            specialties=slugs,
            other_specialty=other,
            needs_doctor=True,
            other_first=other_first,
        )
    if re.search(r"\bmedical director\b", text, re.I):
        return Title(role="physician", needs_doctor=True)
    if slugs or other:
        # "Dermatology" alone (a specialty line under a name): a claim, not a role.
        return Title(specialties=slugs, other_specialty=other, other_first=other_first)
    return Title()


def _first_position(patterns, text: str) -> int | None:
    found = [m.start() for pattern in patterns if (m := pattern.search(text))]
    return min(found) if found else None


def _claims_in_order(text: str) -> tuple[tuple[str, ...], str | None, bool]:
    """A title's specialties; a target one wins unless the title names it as secondary after
    another ("Professor of Medicine (Rheumatology); joint appointment in Dermatology" is a
    rheumatologist)."""
    slugs = tuple(refine_specialties(specialties_from_text(text)))
    other = other_specialty(text)
    if slugs and other:
        target_at = _first_position([p for p, _s in _target_patterns()], text)
        other_at = _first_position([p for p, _n in _other_specialties()], text)
        secondary = target_at is not None and _SECONDARY.search(text[:target_at][-40:])
        if other_at is not None and target_at is not None and other_at < target_at and secondary:
            return (), other, True
        return slugs, None, False
    return slugs, other, False


# Before a second specialty in a title: "joint appointment in Dermatology".
_SECONDARY = re.compile(r"\b(?:joint|secondary|adjunct|affiliate|courtesy)\b[^;,]*$", re.I)


@cache
def _target_patterns():
    return tuple(
        (re.compile(entry["pattern"], re.I), tuple(entry["slugs"]))
        for entry in _specialty_table()["text_patterns"]
    )


def person_specialty_claims(text: str) -> tuple[list[str], str | None]:
    """Target specialty slugs a person's own text claims, and the other specialty it claims when it
    claims no target one (a cardiologist's bio on a dermatology department's page)."""
    slugs = refine_specialties(specialties_from_text(text))
    if slugs:
        return slugs, None
    return [], other_specialty(text)
