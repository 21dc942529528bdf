"""People named on practice pages: "Meet Dr. Ana Ruiz, MD", "Jordan Lee, PA-C" -> name parts, credentials, role.

Precision over recall: a person needs a first and last name AND either credentials we recognise or a
"Dr." title in a heading. Bare capitalised phrases ("Skin Rejuvenation") never become people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extract.html_text import HEADING_TAGS, Block, text_blocks
from crawler.extract.normalise import (
    KNOWN_CREDENTIALS,
    name_key,
    normalise_credentials,
    npi_is_valid,
    role_for_credentials,
    tidy_name_part,
)

_LETTERS_UP = "A-ZÀ-ÖØ-Þ"
_LETTERS_LOW = "a-zß-öø-ÿ"
_WORD = rf"[{_LETTERS_UP}][{_LETTERS_UP}{_LETTERS_LOW}'’]*[{_LETTERS_LOW}](?:-[{_LETTERS_UP}][{_LETTERS_LOW}'’{_LETTERS_UP}]*[{_LETTERS_LOW}])?"
_INITIAL = rf"[{_LETTERS_UP}]\."
_FULL_NAME = rf"{_WORD}(?:\s+(?:{_INITIAL}|{_WORD})){{1,3}}"
_SUFFIX = r"(?:,?\s+(?P<suffix>Jr\.?|Sr\.?|II|III|IV)(?![A-Za-z]))?"


def _credential_pattern(credential: str) -> str:
    """ "MD" also matches "M.D." and "M. D."; a hyphen stays required ("PA-C")."""
    pieces = []
    for char in credential:
        pieces.append("-" if char == "-" else re.escape(char) + r"(?:\.\s?)?")
    return "".join(pieces)


_CREDENTIAL = (
    "(?:"
    + "|".join(_credential_pattern(c) for c in sorted(KNOWN_CREDENTIALS, key=len, reverse=True))
    + r")(?![A-Za-z])"
)
_CREDENTIAL_LIST = rf"{_CREDENTIAL}(?:\s*[,/]\s*{_CREDENTIAL}|\s+{_CREDENTIAL})*"
_WITH_CREDENTIALS = re.compile(
    rf"(?P<dr>\bDr\.?\s+)?(?P<name>{_FULL_NAME}){_SUFFIX}\s*(?:,\s*|\(\s*)(?P<credentials>{_CREDENTIAL_LIST})",
)
_WITH_TITLE = re.compile(rf"\bDr\.?\s+(?P<name>{_FULL_NAME}){_SUFFIX}")
# Spelled-out roles after a name ("Mia Castillo, Licensed Aesthetician"): a role, not a credential.
ROLE_PHRASES = (
    (
        r"(?:licensed |certified |medical |master |lead )?(?:a?esthetician|skin care specialist)",
        "aesthetician",
    ),
    (r"(?:board[- ]certified )?nurse practitioner", "nurse_practitioner"),
    (r"(?:certified )?physician assistant", "physician_assistant"),
    (r"(?:registered nurse|nurse injector|aesthetic nurse|cosmetic nurse)", "nurse"),
)
_WITH_ROLE = re.compile(
    rf"(?P<name>{_FULL_NAME})\s*,\s*(?P<phrase>(?i:"
    + "|".join(f"(?P<r{index}>{pattern})" for index, (pattern, _role) in enumerate(ROLE_PHRASES))
    + r"))\b"
)


def role_from_phrase(text: str) -> str | None:
    """The role a spelled-out job title names ("Licensed Aesthetician" -> aesthetician), or None."""
    for pattern, role in ROLE_PHRASES:
        if re.search(rf"\b{pattern}\b", text, re.IGNORECASE):
            return role
    return None


# Words that open headings ("Meet Dr. ...") and are stripped; any other of these words inside a name
# means the match is a phrase, not a person.
_LEADING_WORDS = {
    "meet", "about", "introducing", "welcome", "with", "by", "our", "contact", "call", "book",
    "schedule", "see", "ask", "from", "and", "dr", "doctor", "physician", "surgeon", "provider",
}  # fmt: skip
_NOT_NAME_WORDS = {
    "dermatology", "skin", "clinic", "center", "centre", "plastic", "surgery", "cosmetic", "laser",
    "medical", "spa", "medspa", "aesthetics", "aesthetic", "beauty", "institute", "associates",
    "group", "team", "services", "service", "home", "microneedling", "treatment", "treatments",
    "appointment", "board", "certified", "american", "academy", "society", "college", "university",
    "hospital", "health", "care", "wellness", "face", "body", "hair", "the", "of", "for", "new",
    "patients", "patient", "our", "staff", "practice", "office", "location", "locations", "reviews",
    "specials", "pricing", "prices", "gift", "cards", "blog", "news", "facial", "rejuvenation",
    "therapy", "injectables", "fillers", "botox", "profile", "bio", "biography", "meet", "contact",
    "welcome", "about", "dermatologist", "surgeon",
}  # fmt: skip


@dataclass
class Person:
    """A person named on a page, with normalised name parts, credentials and clinical role."""

    name: str
    first_name: str
    middle_name: str | None
    last_name: str
    suffix: str | None
    credentials: list[str] = field(default_factory=list)
    role: str = "other"
    is_physician: bool = False
    titled_doctor: bool = False  # written as "Dr. ..." (not proof of MD/DO on its own)
    typed_physician: bool = (
        False  # schema.org Physician markup with no credentials to contradict it
    )
    role_hint: str | None = None  # from a spelled-out title, used when credentials say nothing
    npi: str | None = None  # only from markup or the person's own page, check digit verified

    @property
    def key(self) -> str:
        return name_key(self.name)

    def merge(self, other: Person) -> None:
        """Fold credentials seen elsewhere for the same person into this one."""
        for credential in other.credentials:
            if credential not in self.credentials:
                self.credentials.append(credential)
        self.titled_doctor = self.titled_doctor or other.titled_doctor
        self.middle_name = self.middle_name or other.middle_name
        self.suffix = self.suffix or other.suffix
        self.typed_physician = self.typed_physician or other.typed_physician
        self.role_hint = self.role_hint or other.role_hint
        self.npi = self.npi or other.npi
        self.role = role_for_credentials(self.credentials)
        if self.role == "other" and self.typed_physician:
            self.role = "physician"
        elif self.role == "other" and self.role_hint:
            self.role = self.role_hint
        self.is_physician = self.role == "physician"


def _name_tokens(raw: str) -> list[str] | None:
    tokens = raw.split()
    # Keep only what follows the last non-name word: "Microneedling With Ana Ruiz" -> "Ana Ruiz".
    for index in range(len(tokens) - 1, -1, -1):
        word = tokens[index].lower().rstrip(".")
        if word in _NOT_NAME_WORDS or word in _LEADING_WORDS:
            tokens = tokens[index + 1 :]
            break
    if len(tokens) < 2 or tokens[0].endswith("."):
        return None
    if tokens[-1].endswith("."):  # an initial cannot be a last name
        return None
    if any(
        re.search(r"['’]s$", token) for token in tokens
    ):  # "Dr. Scholl's": a brand, not a person
        return None
    return tokens


def _person(
    raw_name: str,
    suffix: str | None,
    credentials: list[str],
    titled: bool,
    role_hint: str | None = None,
) -> Person | None:
    tokens = _name_tokens(raw_name)
    if tokens is None:
        return None
    middle = " ".join(tokens[1:-1]) or None
    role = role_for_credentials(credentials)
    if role == "other" and role_hint:
        role = role_hint
    return Person(
        name=" ".join(tokens),
        first_name=tokens[0],
        middle_name=middle,
        last_name=tokens[-1],
        suffix=suffix.rstrip(".") + "."
        if suffix and suffix.lower().startswith(("jr", "sr"))
        else suffix,
        credentials=credentials,
        role=role,
        is_physician=role == "physician",
        titled_doctor=titled,
        role_hint=role_hint,
    )


def people_from_text(text: str, *, heading: bool = False) -> list[Person]:
    """People named in one text block. "Dr. First Last" without credentials only counts in headings."""
    found: dict[str, Person] = {}
    for match in _WITH_CREDENTIALS.finditer(text):
        credentials = normalise_credentials(
            re.split(r"[,/]|\s+(?=[A-Z])", match.group("credentials"))
        )
        person = _person(
            match.group("name"), match.group("suffix"), credentials, bool(match.group("dr"))
        )
        if person:
            found.setdefault(person.key, person).merge(person)
    for match in _WITH_ROLE.finditer(text):
        person = _person(
            match.group("name"), None, [], False, role_from_phrase(match.group("phrase"))
        )
        if person:
            found.setdefault(person.key, person).merge(person)
    if heading:
        for match in _WITH_TITLE.finditer(text):
            person = _person(match.group("name"), match.group("suffix"), [], True)
            # Without credentials only a short "Dr. First [Middle] Last" is trusted.
            if person and len(person.name.split()) <= 3 and person.key not in found:
                found[person.key] = person
    return list(found.values())


_ONLY_CREDENTIALS = re.compile(rf"^\s*\(?\s*{_CREDENTIAL_LIST}\s*\)?\s*$")


def _uncapitalise(line: str) -> str:
    """ "DR. SAMUEL BRIGHT, MD, FACS" -> "Dr. Samuel Bright, MD, FACS": names in all capitals are
    title-cased, the credentials after the first comma or parenthesis are left alone."""
    if not line.isupper():
        return line
    match = re.search(r"[,(]", line)
    name, rest = (line[: match.start()], line[match.start() :]) if match else (line, "")
    return (tidy_name_part(name) or name) + rest


def people_from_blocks(blocks: list[Block]) -> list[Person]:
    """People named in a page's main-region blocks, merged by name (credentials united).

    A heading naming someone followed by a block of nothing but credentials ("<h3>Hailey Dunn</h3>
    <p>PA-C</p>") is read as one line.
    """
    found: dict[str, Person] = {}
    main = [block for block in blocks if block.region not in ("nav", "footer")]
    for index, block in enumerate(main):
        heading = block.tag in HEADING_TAGS or block.tag in ("dt", "caption", "figcaption")
        lines = list(block.lines)
        following = main[index + 1].text if index + 1 < len(main) else ""
        if heading and len(lines) == 1 and _ONLY_CREDENTIALS.match(following):
            lines = [f"{lines[0].rstrip(' ,')}, {following.strip(' ()')}"]
        for line in lines:
            for person in people_from_text(_uncapitalise(line), heading=heading):
                if person.key in found:
                    found[person.key].merge(person)
                else:
                    found[person.key] = person
    return list(found.values())


def people_from_html(html: str | bytes) -> list[Person]:
    """People named on a page (see people_from_blocks)."""
    return people_from_blocks(text_blocks(html))


def _split_name(text: str) -> tuple[str, str, str]:
    match = re.search(r"\s*[,(]\s*", text)
    if not match:
        return text, "", ""
    return text[: match.start()], match.group(0), text[match.end() :]


def person_from_name(raw: str, extra_credentials: list[str] | None = None) -> Person | None:
    """A Person from a name field already known to name a person (schema.org Person/Physician).

    "Dr. Ana Ruiz, M.D." -> Ana Ruiz [MD]; returns None when the text looks like a business name.
    """
    text = " ".join(raw.split())
    titled = bool(re.match(r"Dr\.?\s", text))
    text = re.sub(r"^Dr\.?\s+", "", text)
    text = re.sub(r",\s*(Jr\.?|Sr\.?|II|III|IV)(?=[,\s(]|$)", r" \1", text)
    head, _separator, tail = _split_name(text)
    credentials = normalise_credentials(re.split(r"[,/()]|\s+", tail))
    credentials = [c for c in credentials if c in KNOWN_CREDENTIALS]
    for credential in normalise_credentials(extra_credentials or []):
        if credential not in credentials:
            credentials.append(credential)
    suffix_match = re.search(r",?\s+(Jr\.?|Sr\.?|II|III|IV)$", head)
    suffix = suffix_match.group(1) if suffix_match else None
    if suffix_match:
        head = head[: suffix_match.start()]
    if not re.fullmatch(_FULL_NAME, head):
        return None
    return _person(head, suffix, credentials, titled, role_from_phrase(tail) if tail else None)


_NPI_TEXT = re.compile(
    r"\b(?:NPI|National Provider Identifier)\b[^0-9]{0,40}?(\d{10})\b", re.IGNORECASE
)


def npi_from_text(text: str) -> str | None:
    """The one NPI a text states ("NPI: 1234567893"), check digit verified; None if none or several."""
    found = {npi for npi in _NPI_TEXT.findall(text) if npi_is_valid(npi)}
    return found.pop() if len(found) == 1 else None
