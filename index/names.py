"""Name normalisation (pure): titles, credentials and suffixes removed, nicknames mapped, and the
similarity rules that say whether two names can be one person.

Owns: NameKey, normalise_name, the name similarity functions and their word lists.
Must not import: any I/O (store, build, geo, files); it is used by index.resolve only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

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
    "nathaniel": "nathan",
    "natalie": "natalie",
    "liza": "elizabeth",
    "kit": "katherine",
    "hank": "henry",
    "harry": "henry",
    "jack": "john",
    "johnny": "john",
    "peg": "margaret",
    "marge": "margaret",
    "gabe": "gabriel",
    "zach": "zachary",
    "zack": "zachary",
    "ray": "raymond",
    "russ": "russell",
    "fred": "frederick",
    "frank": "francis",
}
# Short forms that stand for more than one given name: "Sam" is Samuel or Samantha. NICKNAMES
# maps each to the first (the key names are compared by); these say which others it may be.
AMBIGUOUS_NICKNAMES = {
    "sam": ("samuel", "samantha"),
    "sammy": ("samuel", "samantha"),
    "nate": ("nathan", "nathaniel"),
    "natty": ("nathan", "nathaniel"),
    "alex": ("alexander", "alexandra"),
    "kate": ("katherine", "kathleen", "kate"),
    "liz": ("elizabeth", "lizbeth"),
    "bill": ("william",),
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


@dataclass(frozen=True)
class NameKey:
    first: str
    last: str
    first_initial: str
    suffix: str = ""  # "jr", "sr", "ii", ... ("" when none is given)
    middle: str = ""  # a full middle name after a first initial ("R. James Caldwell"), mapped
    given: str = ""  # the first name as written (before nicknames were mapped)
    given_joined: str = ""  # every given name run together: "Mary Ann" and "MARYANN" agree
    former: tuple[str, ...] = ()  # earlier last names (NPPES "Former Name", "née", "formerly")

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}".strip()


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
    joined = ""  # every given name run together, when the fields give them
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
        joined = "".join(first_words + middle.split())
        first = first_words[0]
        if len(first) == 1 and len(first_words) > 1:
            middle = first_words[1]  # "R. James" given as the first name
        # A middle initial sometimes lands in last_name ("M Ruiz"); suffixes never belong there.
        last_words = [w for w in last.split() if w not in _SUFFIXES and len(w) > 1]
        last = " ".join(last_words) or last
    given = first
    joined = joined or first + "".join(middle.split())
    first = canonical_first(first)
    # Only a full middle name after a first initial says what the person is called.
    middle = canonical_first(middle.split()[0]) if len(first) == 1 and len(middle) > 1 else ""
    former = tuple(
        " ".join(_ascii_words(entry.get("last_name") or "")).replace(",", "")
        for entry in payload.get("former_names") or []
        if isinstance(entry, dict) and entry.get("last_name")
    )
    return NameKey(
        first=first, last=last, first_initial=first[:1], suffix=suffix, middle=middle,
        given=given, given_joined=joined, former=tuple(f for f in former if f),
    )  # fmt: skip


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


def _nickname_of(short: str, given: str) -> bool:
    """True when `short` is a short form of `given` (either may already be the formal name)."""
    return given in AMBIGUOUS_NICKNAMES.get(short, ()) or NICKNAMES.get(short) == given


def first_name_similarity(a: NameKey, b: NameKey) -> float:
    """0..100 for first names already mapped from nicknames; 0 when they name different people."""
    if not a.first or not b.first:
        return 0.0
    if a.first == b.first:
        return 100.0
    if a.given_joined and a.given_joined == b.given_joined:
        return 100.0  # "Mary Ann" / "Maryann"
    if _nickname_of(a.given, b.given) or _nickname_of(b.given, a.given):
        return 95.0  # "Sam" / "Samantha", "Nate" / "Nathaniel"
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
    if last < 90 and (a.former or b.former):
        # a married or maiden name: only ever joined with a contact signal (index.resolve)
        last = max(
            [last]
            + [last_name_similarity(x, y) for x in (a.last, *a.former) for y in (b.last, *b.former)]
        )
    if last < 90:
        return 0.0
    first = first_name_similarity(a, b)
    if not first:
        return 0.0
    return round(0.6 * last + 0.4 * first, 2)
