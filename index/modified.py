"""`modified_after` inside the search: when each document of a generation last changed for a sync
client (the later of its listing's last_seen and last_verified, Unix seconds), and the filter that
keeps the ranked positions at or after a cutoff, with the specialty facets recounted over them.

The times are read once per generation from listings.jsonl (a few bytes per listing kept, only
when a client first asks), and listings patched since the build answer from their patch.
Owns: modified_times, keep_modified.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Sequence
from datetime import UTC, datetime

from index.build import LISTINGS_FILE
from index.generation import Generation

_NEVER = float("-inf")


def _seconds(value: object) -> float:
    if not isinstance(value, str) or not value.strip():
        return _NEVER
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return _NEVER
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _changed(record: dict) -> float:
    return max(_seconds(record.get("last_seen")), _seconds(record.get("last_verified")))


def modified_times(generation: Generation) -> array:
    """time[docnum] for the documents written at build time (cached on the generation)."""
    cached = getattr(generation, "_modified_times", None)
    if cached is not None:
        return cached
    offsets = generation.columns.offsets
    times = array("d")
    with open(generation.path / LISTINGS_FILE, "rb") as handle:
        for docnum in range(generation.indexed):
            start, end = offsets[docnum], offsets[docnum + 1]
            times.append(_changed(json.loads(os.pread(handle.fileno(), end - start, start))))
    generation._modified_times = times  # type: ignore[attr-defined]
    return times


def keep_modified(
    generation: Generation, order: Sequence[int], cutoff: datetime
) -> tuple[list[int], dict[str, int]]:
    """(positions in `order` of documents changed at or after `cutoff`, specialty facets of them)."""
    times = modified_times(generation)
    limit = cutoff.timestamp()
    patched = generation.patched
    masks, slugs = generation.columns.specialties, generation.columns.slugs
    kept: list[int] = []
    counts = [0] * len(slugs)
    for position, docnum in enumerate(order):
        if docnum in patched:
            listing = patched[docnum]
            changed = _NEVER if listing is None else _changed(listing.__dict__)
        else:
            changed = times[docnum] if docnum < len(times) else _NEVER
        if changed < limit:
            continue
        kept.append(position)
        mask = masks[docnum]
        for bit in range(len(slugs)):
            if mask >> bit & 1:
                counts[bit] += 1
    facets = sorted(
        ((slug, count) for slug, count in zip(slugs, counts, strict=True) if count),
        key=lambda item: (-item[1], item[0]),
    )
    return kept, dict(facets)
