"""A physician's refusal of cosmetic care as a whole, which names no treatment: "Dr. McBride does
not perform cosmetic procedures", "his practice is limited to Mohs surgery". Microneedling is
cosmetic care, so it is a refusal of it by that person (never of the practice). Pure.
"""

from __future__ import annotations

import re

from crawler.extract.normalise import collapse_ws
from crawler.extract.statements import _DR, _RESTRICTION, Reading

# "Dr. McBride does not perform cosmetic procedures", "his practice is limited to Mohs surgery": a
# physician's refusal of the whole kind of care microneedling belongs to, without naming it.
_CATEGORY_REFUSAL = re.compile(
    rf"(?:^|\b)(?P<who>{_DR}|[Ss]he|[Hh]e|[Hh]is|[Hh]er)(?:['’]s)?\b[^.;]{{0,60}}?"
    r"(?:\b(?:does not|doesn't|do not|don't|no longer|never)\s+(?:perform|offer|provide|do|treat|"
    r"see (?:patients|anyone) for)\s+(?:any\s+)?(?:cosmetic|aesthetic|elective cosmetic)\s+"
    r"(?:procedures|treatments|services|care|work|patients)"
    r"|\b(?:practice|work|schedule|clinical work) is (?:limited|devoted|dedicated|restricted) "
    r"(?:exclusively |entirely |solely |only )?to (?!cosmetic|aesthetic)(?:mohs|skin cancer|medical "
    r"dermatology|dermatopathology|pediatric dermatology|reconstructive))",
    re.I,
)


def read_category_refusal(sentence: str) -> Reading | None:
    """A person's refusal of cosmetic care as a whole (see _CATEGORY_REFUSAL), or None."""
    match = _CATEGORY_REFUSAL.search(sentence)
    if match is None or _RESTRICTION.search(sentence):
        return None
    who = match.group("who")
    if who.lower() in ("she", "he", "his", "her"):
        return Reading("refusal", "explicit", "pronoun", rule="refuses cosmetic care",
                       term="cosmetic procedures")  # fmt: skip
    return Reading("refusal", "explicit", "person", people=(collapse_ws(who),),
                   rule="refuses cosmetic care", term="cosmetic procedures")  # fmt: skip
