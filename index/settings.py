"""Settings the index reads from the environment (listed in skinmap.settings.SETTINGS).

Owns: SKINMAP_STALE_DAYS and BadSetting. Imports nothing from the project.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

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
