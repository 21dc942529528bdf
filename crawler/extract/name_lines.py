"""Name lines in a page's blocks: a heading, card title, table cell or alt text that is only a
name ("<h3>Hailey Dunn</h3>") is a person when the line under it is their title or credentials
("Physician Assistant", "MD, FAAD"). Builds on the single-line rules of crawler/extract/people.py.
Pure.
"""

from __future__ import annotations

import re

from crawler.extract.html_text import HEADING_TAGS, Block, text_blocks
from crawler.extract.normalise import tidy_name_part
from crawler.extract.people import (
    _BARE_NAME,
    _LEADING_CREDENTIALS,
    _LETTERS_LOW,
    _LETTERS_UP,
    _ONLY_CREDENTIALS,
    Person,
    _add,
    _credentials_of,
    _person,
    people_from_text,
    titled_person,
)
from crawler.extract.titles import read_title

NAME_LINE_WORDS = 6  # a block this short that is only a name is a name line, whatever its tag
# Two words run together by markup ("Ana RuizBoard-Certified"), not a "Mc"/"Mac"/"De" name.
_RUN_TOGETHER = re.compile(
    rf"(?<=[{_LETTERS_LOW}]{{2}})(?<!Mac)(?=[{_LETTERS_UP}][{_LETTERS_LOW}])"
)
TITLE_WORDS = 12  # a title line is short; a longer line under a name is their bio
LABEL_TAGS = HEADING_TAGS | {"dt", "caption", "figcaption", "th", "td", "img", "strong", "b", "li"}


def _uncapitalise(line: str) -> str:
    """ "DR. SAMUEL BRIGHT, MD, FACS" -> "Dr. Samuel Bright, MD, FACS": names in all capitals are
    title-cased, the credentials after the first comma or parenthesis are left alone."""
    if not re.sub(r"\bMa?c(?=[A-Z]{2})", "", line).isupper():  # "McBRIDE" is capitals too
        return line
    match = re.search(r"[,(]", line)
    name, rest = (line[: match.start()], line[match.start() :]) if match else (line, "")
    return (tidy_name_part(name.upper()) or name) + rest


def _bare_person(line: str, title_line: str | None) -> Person | None:
    """A line that is only a name, confirmed by the title line under it ("Physician Assistant")."""
    match = _BARE_NAME.match(line)
    if not match or not title_line or len(title_line.split()) > TITLE_WORDS:
        return None  # a long line under a heading is prose, not the title of a name
    if _ONLY_CREDENTIALS.match(title_line):
        credentials = _credentials_of(title_line.strip(" ()"))
        return _person(
            match.group("name"), match.group("suffix"), credentials, bool(match.group("dr"))
        )
    lead = _LEADING_CREDENTIALS.match(title_line)  # "MD · Board-Certified Dermatologist"
    if lead:
        person = _person(
            match.group("name"), match.group("suffix"), _credentials_of(lead.group("credentials")),
            bool(match.group("dr")),
        )  # fmt: skip
        if person is not None:
            person.note_title(read_title(lead.group("rest")))
        return person
    return titled_person(match, title_line)


def people_with_anchors(blocks: list[Block]) -> tuple[list[Person], dict[str, list[int]]]:
    """People named in a page's blocks (navigation, footers and testimonials ignored), merged by
    name, and for each person's key the indexes of the blocks that name them.

    A label (heading, card title, table cell, alt text) that is only a name is a person when the
    line or block under it is a title or credentials ("<h3>Hailey Dunn</h3><p>PA-C</p>").
    """
    found: dict[str, Person] = {}
    anchors: dict[str, list[int]] = {}
    for index, block in enumerate(blocks):
        if block.region in ("nav", "footer", "quote"):
            continue
        # builders style headings as paragraphs: a short one-line block is a label too
        label = block.tag in LABEL_TAGS or (
            len(block.lines) == 1 and len(block.text.split()) <= NAME_LINE_WORDS
        )
        lines = [_uncapitalise(line) for line in block.lines]
        following = next(
            (b for b in blocks[index + 1 : index + 3] if b.region not in ("nav", "footer")), None
        )
        next_line = _uncapitalise(following.lines[0]) if following is not None else None
        named: list[Person] = []
        for position, line in enumerate(lines):
            people = people_from_text(line, heading=label)
            if not people and _RUN_TOGETHER.search(line):
                split = _RUN_TOGETHER.sub("\n", line).split("\n")
                people = people_from_text(split[0], heading=label) or [
                    p for p in [_bare_person(split[0], " ".join(split[1:]))] if p
                ]
            title_line = lines[position + 1] if position + 1 < len(lines) else None
            if label and title_line is None:
                title_line = next_line
            bare = _bare_person(line, title_line) if (label or len(lines) > 1) else None
            if label and title_line and len(title_line.split()) <= TITLE_WORDS and bare is None:
                # the line under a name is their title: "Family Medicine", "Mohs Surgeon"
                title = read_title(title_line)
                for person in people:
                    if person.title_role is None and not person.title_specialties:
                        person.note_title(title)
            if bare is not None:
                people = [p for p in people if p.key != bare.key] + [bare]
                for person in people:
                    if person.key == bare.key and person is not bare:
                        bare.merge(person)
            named.extend(people)
        for person in named:
            _add(found, person)
            anchors.setdefault(person.key, [])
            if index not in anchors[person.key]:
                anchors[person.key].append(index)
    return list(found.values()), anchors


def people_from_blocks(blocks: list[Block]) -> list[Person]:
    """People named in a page's main-region blocks, merged by name (see people_with_anchors)."""
    return people_with_anchors(blocks)[0]


def people_from_html(html: str | bytes) -> list[Person]:
    """People named on a page (see people_with_anchors)."""
    return people_from_blocks(text_blocks(html))
