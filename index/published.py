"""What the public sees, read in full: the live generation's listings with the admin edits published
since its build (patches.jsonl, newest per id), hidden ones dropped. Exports and the `/hsds/` API
read through here, so both serve exactly the public directory.

Owns: published_listings, published_version. Reads generation files; never the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from index.build import LISTINGS_FILE, current_generation, index_dir
from index.patches import PATCHES_FILE, read_patches
from index.records import Listing


def published_listings(path: Path) -> Iterator[Listing]:
    """Listings from a generation's listings.jsonl, one at a time, with its patches applied. Hidden
    ones are dropped defensively (the build and the patches already leave them out, but a hidden
    listing must never be published)."""
    patched: dict[str, Listing | None] = {}
    patches_path = path.parent / PATCHES_FILE
    if patches_path.is_file():
        for patch in read_patches(patches_path)[0]:
            patched[patch.listing_id] = patch.listing
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            listing = Listing.from_json(line)
            if listing.id in patched:
                listing = patched.pop(listing.id)
            if listing is not None and not listing.hidden:
                yield listing
    for listing in patched.values():  # people whose id is new since the build
        if listing is not None and not listing.hidden:
            yield listing


def published_version(data_dir: Path) -> tuple[str, int] | None:
    """(live generation, size of its patches file): changes whenever what the public sees does;
    None before the first build."""
    generation = current_generation(data_dir)
    if generation is None or not (index_dir(data_dir) / generation / LISTINGS_FILE).is_file():
        return None
    try:
        patches = (index_dir(data_dir) / generation / PATCHES_FILE).stat().st_size
    except FileNotFoundError:
        patches = 0
    return generation, patches


def published_path(data_dir: Path, generation: str) -> Path:
    return index_dir(data_dir) / generation / LISTINGS_FILE
