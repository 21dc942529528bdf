"""A practice's name, from its home page's title and heading and from its structured data. Pure."""

from __future__ import annotations

import re

from crawler.extract.normalise import collapse_ws

_TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+|\s*::\s*")
_GENERIC_TITLE = re.compile(r"^(home|home ?page|welcome|index|main)$", re.I)


def practice_name_from_title(title: str | None, heading: str | None = None) -> str | None:
    """The practice part of a home page title.

    "Home | Lakeside Dermatology" -> "Lakeside Dermatology"; "Glow Skin Studio - Med Spa" with the
    heading "Glow Skin Studio" -> "Glow Skin Studio" (the part the page's <h1> repeats wins).
    """
    if not title:
        return None
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    parts = [p for p in parts if not _GENERIC_TITLE.match(p)]
    if heading:
        for part in parts:
            if part.lower() == collapse_ws(heading).lower():
                return part
    return parts[0] if parts else None


def choose_practice_name(structured: list[str], home: list[str], fallback: str) -> str:
    """Markup names that the home page confirms, else the home page's own name, else markup, else
    the host ("Denver" as a location's schema.org name never beats "Mile High Plastic Surgery")."""
    confirmed = {name.lower() for name in home}
    for name in structured:
        if name.lower() in confirmed:
            return name
    return (home or structured or [fallback])[0]
