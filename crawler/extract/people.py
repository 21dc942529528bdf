"""People named on practice pages: "Meet Dr. Ana Ruiz, MD", "Jordan Lee, PA-C" -> name parts,
credentials, role.

Precision over recall: a person needs a first and last name AND something that says they are a
person of the practice: credentials we recognise ("Ana Ruiz, MD", "Ana Ruiz MD"), a job title
beside or under the name ("Ana Ruiz, Board-Certified Dermatologist"; a card's heading over
"Physician Assistant"), "Dr." in a heading or an image's alt text, or "Dr. Ana Ruiz is a
board-certified dermatologist". Bare capitalised phrases ("Skin Rejuvenation") never become people.
The role comes from credentials first, then titles (crawler/extract/titles.py), then markup types.
Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extract.normalise import (
    KNOWN_CREDENTIALS,
    name_key,
    normalise_credentials,
    npi_is_valid,
    role_for_credentials,
    tidy_name_part,
)
from crawler.extract.titles import Title, read_title

_LETTERS_UP = "A-ZÀ-ÖØ-Þ"
_LETTERS_LOW = "a-zß-öø-ÿ"
_WORD = rf"[{_LETTERS_UP}][{_LETTERS_UP}{_LETTERS_LOW}'’]*[{_LETTERS_LOW}](?:-[{_LETTERS_UP}{_LETTERS_LOW}][{_LETTERS_LOW}'’{_LETTERS_UP}]*[{_LETTERS_LOW}])?"
_INITIAL = rf"[{_LETTERS_UP}]\."
_PARTICLE = r"(?:de|del|della|de la|de los|da|das|do|dos|van|van de|van der|von|der|di|du|le|la|bin|ibn|al|el|st\.)"
_FULL_NAME = rf"(?:{_INITIAL}\s+)?{_WORD}(?:\s+(?:{_INITIAL}|{_WORD}|{_PARTICLE}(?=\s+[{_LETTERS_UP}]))){{1,4}}"
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
# "TRAN-NGUYEN, Lily, MD" / "Okonkwo, Samuel A., MD": surname first, as faculty directories write.
_SUFFIX_WORD = r"(?:Jr\.?|Sr\.?|II|III|IV)(?![A-Za-z])"
_SURNAME_FIRST = re.compile(
    rf"^\s*(?P<last>[{_LETTERS_UP}][{_LETTERS_UP}{_LETTERS_LOW}'’-]+(?:\s+(?!{_SUFFIX_WORD})[{_LETTERS_UP}]"
    rf"[{_LETTERS_UP}{_LETTERS_LOW}'’-]+)?)(?:\s+(?P<suffix>{_SUFFIX_WORD}))?,\s+"
    rf"(?P<given>{_WORD}(?:\s+(?:{_INITIAL}|{_WORD}))?),\s*(?P<credentials>{_CREDENTIAL_LIST})"
    r"(?!\s*\d{5})"  # "Bethesda, Maryland, MD 20892" is an address
)
# "Jane Holcomb MD": no comma, so only degrees and licences written in capitals count.
_STRONG_CREDENTIAL = r"(?:M\.?\s?D\.?|D\.?\s?O\.?|PA-C|FNP-C|FNP-BC|NP-C|APRN|RN|MBBS)(?![A-Za-z])"
_WITH_BARE_CREDENTIALS = re.compile(
    rf"(?P<dr>\bDr\.?\s+)?(?P<name>{_FULL_NAME}){_SUFFIX}\s+(?P<credentials>{_STRONG_CREDENTIAL}"
    rf"(?:\s*[,/]?\s*{_CREDENTIAL})*)"
)
_WITH_TITLE = re.compile(rf"\bDr\.?\s+(?P<name>{_FULL_NAME}){_SUFFIX}")
# "Dr. Ana Ruiz is a board-certified dermatologist" / "Ana Ruiz is our physician assistant".
_IS_A = re.compile(
    rf"(?P<dr>\bDr\.?\s+)?(?P<name>{_FULL_NAME}){_SUFFIX},?\s+(?:is|was|has been|serves as)\s+"
    r"(?:a|an|the|our|one of our)\s+(?P<title>[^.;:]{3,90})"
)
# "Ana Ruiz, Board-Certified Dermatologist" / "Ana Ruiz – Physician Assistant" / "Ana Ruiz | NP".
_WITH_JOB = re.compile(
    rf"^\s*(?P<dr>Dr\.?\s+)?(?P<name>{_FULL_NAME}){_SUFFIX}\s*(?:,|\s[–—|-]\s|:)\s*(?P<title>.{{3,90}})$"
)
# "Laura Costa, MD (née Schultz)", "Dr. Ana Ruiz (formerly Ana Smith)": an earlier last name.
_FORMERLY = re.compile(
    rf"(?P<name>{_FULL_NAME})[^()]{{0,40}}\((?:née|nee|formerly|born|maiden name:?)\s+"
    rf"(?:{_WORD}\s+)?(?P<former>{_WORD})\)"
)
_BARE_NAME = re.compile(rf"^\s*(?P<dr>Dr\.?\s+)?(?P<name>{_FULL_NAME}){_SUFFIX}\s*,?\s*$")
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
# Fellowships only physicians hold: "Ana Ruiz, FAAD" is a dermatologist even without "MD".
PHYSICIAN_FELLOWSHIPS = frozenset({"FAAD", "FACS", "FAACS", "FACMS", "FAAFPRS", "FASOPRS", "FRCSC"})


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
    "welcome", "about", "dermatologist", "surgeon", "department", "division", "program", "school",
    "faculty", "providers", "physicians", "doctors", "street", "road", "avenue", "suite", "drive",
    "boulevard", "parkway", "plaza", "consultation", "consult", "request", "online", "today",
    "learn", "more", "read", "view", "full", "your", "acne", "scars", "scar", "peel",
    "board-certified", "fellowship-trained", "double-board-certified", "award-winning",
    "peels", "filler", "lasers", "procedure", "procedures", "before", "after", "gallery",
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
    typed_physician: bool = False  # schema.org Physician markup with nothing to contradict it
    role_hint: str | None = None  # from a spelled-out title, used when credentials say nothing
    npi: str | None = None  # only from markup or the person's own page, check digit verified
    title_role: str | None = None  # what a job title beside the name says (titles.py)
    title_needs_doctor: bool = False  # that title names a physician only with "Dr." or MD/DO
    title_specialties: list[str] = field(default_factory=list)
    other_specialty: str | None = None  # a title's specialty outside the directory
    title_other_first: bool = False  # their title names a target specialty only as secondary
    former_last_names: list[str] = field(default_factory=list)  # "(née Schultz)", "(formerly X)"

    @property
    def key(self) -> str:
        return name_key(self.name)

    def note_title(self, title: Title) -> None:
        """Take in what a job title says; a staff title is never overruled by a physician word
        ("Physician Assistant" read elsewhere as "physician")."""
        staff_known = self.title_role not in (None, "physician")
        if title.role and not (staff_known and title.role == "physician"):
            self.title_role = title.role
            self.title_needs_doctor = title.needs_doctor if title.role == "physician" else False
        for slug in title.specialties:
            if slug not in self.title_specialties:
                self.title_specialties.append(slug)
        self.other_specialty = self.other_specialty or title.other_specialty
        self.title_other_first = self.title_other_first or title.other_first
        self.settle_role()

    def settle_role(self) -> None:
        """The role, from what is known: credentials, then titles, then markup, then "Dr."."""
        role = role_for_credentials(self.credentials)
        if role == "other":
            if set(self.credentials) & PHYSICIAN_FELLOWSHIPS:
                role = "physician"
            elif self.title_role and self.title_role != "physician":
                role = self.title_role
            elif (
                self.title_role == "physician"
                and (not self.title_needs_doctor or self.titled_doctor)
                or self.typed_physician
            ):
                role = "physician"
            elif self.role_hint:
                role = self.role_hint
        self.role = role
        self.is_physician = role == "physician"

    def merge(self, other: Person) -> None:
        """Fold what is known elsewhere of the same person into this one."""
        for credential in other.credentials:
            if credential not in self.credentials:
                self.credentials.append(credential)
        self.titled_doctor = self.titled_doctor or other.titled_doctor
        self.middle_name = self.middle_name or other.middle_name
        self.suffix = self.suffix or other.suffix
        self.typed_physician = self.typed_physician or other.typed_physician
        self.role_hint = self.role_hint or other.role_hint
        self.npi = self.npi or other.npi
        if other.title_role:
            self.note_title(
                Title(
                    role=other.title_role,
                    specialties=tuple(other.title_specialties),
                    other_specialty=other.other_specialty,
                    needs_doctor=other.title_needs_doctor,
                )
            )
        for slug in other.title_specialties:
            if slug not in self.title_specialties:
                self.title_specialties.append(slug)
        self.other_specialty = self.other_specialty or other.other_specialty
        self.title_other_first = self.title_other_first or other.title_other_first
        for former in other.former_last_names:
            if former not in self.former_last_names:
                self.former_last_names.append(former)
        self.settle_role()


def _name_tokens(raw: str) -> list[str] | None:
    tokens = raw.split()
    # Keep only what follows the last non-name word: "Microneedling With Ana Ruiz" -> "Ana Ruiz".
    for index in range(len(tokens) - 1, -1, -1):
        word = tokens[index].lower().rstrip(".")
        if word in _NOT_NAME_WORDS or word in _LEADING_WORDS:
            tokens = tokens[index + 1 :]
            break
    if len(tokens) < 2:
        return None
    if tokens[0].endswith(".") and (len(tokens) < 3 or tokens[1].endswith(".")):
        return None  # "J. Smith": an initial and a surname say too little
    if tokens[-1].endswith("."):  # an initial cannot be a last name
        return None
    if any(re.search(r"['’]s$", token) for token in tokens):  # "Dr. Scholl's": a brand
        return None
    return tokens


_PARTICLES = {"de", "del", "della", "la", "los", "da", "das", "do", "dos", "van", "von", "der",
              "di", "du", "le", "bin", "ibn", "al", "el", "st."}  # fmt: skip


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
    last = [tokens[-1]]
    middle_tokens = tokens[1:-1]
    while middle_tokens and middle_tokens[-1].lower() in _PARTICLES:  # "de la Cruz"
        last.insert(0, middle_tokens.pop())
    person = Person(
        name=" ".join(tokens),
        first_name=tokens[0],
        middle_name=" ".join(middle_tokens) or None,
        last_name=" ".join(last),
        suffix=suffix.rstrip(".") + "."
        if suffix and suffix.lower().startswith(("jr", "sr"))
        else suffix,
        credentials=credentials,
        titled_doctor=titled,
        role_hint=role_hint,
    )
    person.settle_role()
    return person


def _credentials_of(text: str) -> list[str]:
    return normalise_credentials(re.split(r"[,/]|\s+(?=[A-Z])", text))


def _add(found: dict[str, Person], person: Person | None) -> None:
    if person is None:
        return
    if person.key in found:
        found[person.key].merge(person)
    else:
        found[person.key] = person


_ORGANISATION_NOUN = re.compile(
    r"\b(?:practice|spa|med ?spa|clinic|cent(?:er|re)|group|office|institute|department|company|"
    r"business|facility|studio|hospital|destination|boutique|lounge)\b",
    re.I,
)
_PERSON_NOUN = re.compile(
    r"\b(?:dermatologist|surgeon|physician|doctor|assistant|practitioner|nurse|a?esthetician|"
    r"injector|specialist|director|partner|founder|owner|member|fellow|resident|provider)s?\b(?!-)",
    re.I,
)
_SENTENCE_VERB = re.compile(r"\b(?:is|are|was|were|will|every)\b", re.I)


def _names_an_organisation(title: str) -> bool:
    """ "a physician-directed medical spa", "an independent, physician-owned practice": the subject
    is a business, not a person (an organisation noun before any person noun)."""
    organisation = _ORGANISATION_NOUN.search(title)
    person = _PERSON_NOUN.search(title)
    return organisation is not None and (person is None or organisation.start() < person.start())


def _with_job(match: re.Match) -> Person | None:
    """A name with a title beside it: a person only when the title names a role."""
    return titled_person(match, match.group("title"))


def titled_person(match: re.Match, title_text: str) -> Person | None:
    """The person a name match (groups name, suffix, dr) names, when `title_text` names a role."""
    title = read_title(title_text)
    if title.role is None:
        return None
    person = _person(match.group("name"), match.group("suffix"), [], bool(match.group("dr")))
    if person is not None:
        person.note_title(title)
    return person


# A nickname in quotes or parentheses inside a name: Robert “Bob” Kline, William (Bill) Thornton.
_QUOTED_NICKNAME = re.compile(
    rf"(?<=[{_LETTERS_LOW}.])\s+[“\"‘'(][{_LETTERS_UP}][{_LETTERS_LOW}.]+[”\"’')]\s+(?=[{_LETTERS_UP}])"
)


def people_from_text(text: str, *, heading: bool = False) -> list[Person]:
    """People named in one line or block of text. "Dr. First Last" without credentials or a title
    only counts in headings (and image alt text)."""
    text = _QUOTED_NICKNAME.sub(" ", text)
    found: dict[str, Person] = {}
    for pattern in (_WITH_CREDENTIALS, _WITH_BARE_CREDENTIALS):
        for match in pattern.finditer(text):
            credentials = _credentials_of(match.group("credentials"))
            _add(
                found,
                _person(
                    match.group("name"), match.group("suffix"), credentials, bool(match.group("dr"))
                ),
            )
    match = _SURNAME_FIRST.match(text)
    if match:
        last = match.group("last")
        if last.isupper():
            last = tidy_name_part(last) or last
        _add(
            found,
            _person(
                f"{match.group('given')} {last}", match.group("suffix"),
                _credentials_of(match.group("credentials")), False,
            ),
        )  # fmt: skip
    for match in _WITH_ROLE.finditer(text):
        _add(
            found,
            _person(match.group("name"), None, [], False, role_from_phrase(match.group("phrase"))),
        )
    for match in _IS_A.finditer(text):
        if _names_an_organisation(match.group("title")):
            continue  # "Saguaro Glow is a physician-directed medical spa"
        title = read_title(match.group("title"))
        if title.role is None or (
            title.role == "physician" and title.needs_doctor and not match.group("dr")
        ):
            continue
        person = _person(match.group("name"), match.group("suffix"), [], bool(match.group("dr")))
        if person is not None and (person.key in found or match.group("dr") or title.role):
            person.note_title(title)
            _add(found, person)
    match = _WITH_JOB.match(text)
    if (
        match
        and not _ONLY_CREDENTIALS.match(match.group("title"))
        and not _SENTENCE_VERB.search(match.group("title"))  # "At Luxe Contour, every plan is..."
    ):
        _add(found, _with_job(match))
    for match in _FORMERLY.finditer(text):
        key = name_key(" ".join(match.group("name").split()[-3:]))
        for person in found.values():
            same = key.endswith(person.key) or person.key.endswith(key)
            if same and match.group("former") not in person.former_last_names:
                person.former_last_names.append(match.group("former"))
    if heading:
        for match in _WITH_TITLE.finditer(text):
            person = _person(match.group("name"), match.group("suffix"), [], True)
            # Without credentials only a short "Dr. First [Middle] Last" is trusted.
            if person and len(person.name.split()) <= 3 and person.key not in found:
                found[person.key] = person
    return list(found.values())


_WITH_ROLE = re.compile(
    rf"(?P<name>{_FULL_NAME})\s*,\s*(?P<phrase>(?i:"
    + "|".join(f"(?P<r{index}>{pattern})" for index, (pattern, _role) in enumerate(ROLE_PHRASES))
    + r"))\b"
)
_ONLY_CREDENTIALS = re.compile(rf"^\s*\(?\s*{_CREDENTIAL_LIST}\s*\)?\s*$")
_LEADING_CREDENTIALS = re.compile(
    rf"^\s*\(?\s*(?P<credentials>{_CREDENTIAL_LIST})\s*\)?\s*[·•|,–—:-]\s*(?P<rest>.+)$"
)


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
    person = _person(head, suffix, credentials, titled, role_from_phrase(tail) if tail else None)
    if person is not None and tail:
        person.note_title(read_title(tail))
    return person


_NPI_TEXT = re.compile(
    r"\b(?:NPI|National Provider Identifier)\b[^0-9]{0,40}?(\d{10})\b", re.IGNORECASE
)


def npi_from_text(text: str) -> str | None:
    """The one NPI a text states ("NPI: 1234567893"), check digit verified; None if none or several."""
    found = {npi for npi in _NPI_TEXT.findall(text) if npi_is_valid(npi)}
    return found.pop() if len(found) == 1 else None
