"""The Whoosh schema: one declared class, lean stored fields, and the text a listing is found by.

Stored fields hold only the id. The full listings live in `listings.jsonl` next to each generation;
ranking, filters, facets and the GeoGrid read compact per-document columns (index.columns), and a
result page reads just its own listings from the file.
"""

from __future__ import annotations

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import BOOLEAN, ID, KEYWORD, TEXT, SchemaClass

from index.records import Listing

# One analyzer for indexing and querying. `\w+` means every operator character ( * ? : ~ ^ " [ )
# is a separator, so nothing a patient types can become query syntax.
TOKEN_PATTERN = r"\w+"


def text_analyzer():
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter() | StemFilter()


def spelling_analyzer():
    # Unstemmed words, so "did you mean" suggests real words rather than stems.
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter()


class SkinmapSchema(SchemaClass):
    id = ID(unique=True, stored=True)
    # phrase=False: no positions, since queries never use phrases; postings shrink and builds speed up.
    name = TEXT(analyzer=text_analyzer(), field_boost=2.0, phrase=False)
    text = TEXT(analyzer=text_analyzer(), phrase=False)
    # Only names and places: the words patients misspell. Quotes would double the build cost.
    spelling = TEXT(analyzer=spelling_analyzer(), phrase=False)
    specialties = KEYWORD(commas=True, scorable=True)
    offers = ID()  # "yes" | "no" | "unknown"
    stale = BOOLEAN()


def specialty_words(slug: str) -> str:
    return slug.replace("-", " ")


def document_for(listing: Listing) -> dict:
    """The fields of one listing's document.

    The lay terms for microneedling ("acne scars", "SkinPen", ...) are not written into the text of
    every listing that offers it: they would be most of the index's postings, and most of its build
    time. Search counts them as present once in those listings' text (see `lay_text`), exactly as if
    they had been written there; the generation's manifest says so (index.build).
    """
    evidence = listing.microneedling_evidence or {}
    practices = sorted({loc.get("practice") or "" for loc in listing.locations} - {""})
    places = sorted(
        {f"{loc.get('city') or ''} {loc.get('state') or ''}" for loc in listing.locations} - {" "}
    )
    parts = [
        listing.name,
        " ".join(listing.credentials),
        " ".join(specialty_words(s) for s in listing.specialties),
        " ".join(practices),
        " ".join(places),
    ]
    if listing.offers_microneedling:
        parts += [evidence.get("quote") or "", evidence.get("term") or ""]
    text = " ".join(part for part in parts if part)
    spelling = " ".join([listing.name, *practices, *places])
    return {
        "id": listing.id,
        "name": listing.name,
        "text": text,
        "spelling": spelling,
        "specialties": ",".join(listing.specialties),
        "offers": {True: "yes", False: "no", None: "unknown"}[listing.offers_microneedling],
        "stale": listing.stale,
    }


def lay_text(listing: Listing, lay_terms: list[str] | tuple[str, ...]) -> str:
    """The words a listing is findable by without their being in its indexed text: the lay terms,
    for a listing that offers microneedling."""
    return " ".join(lay_terms) if listing.offers_microneedling else ""
