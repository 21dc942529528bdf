"""One practice-site page read into `PageFacts`: its people (text and structured data), whose card,
table row or bio each block belongs to, its statements about microneedling, its contacts and its
links. The unit the practice spider aggregates per site and journals for resumes. Pure.

A person's *card* is the largest element around their name that names nobody else (a team grid's
card, a table row, a bio section); on a page without such elements, the blocks under a heading
that names one person, up to the next heading as high, are that person's section.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from crawler.extract.contact import addresses_from_blocks, merge_addresses, phones_from_html
from crawler.extract.evidence import PageContext, evidence_from_blocks, markup_offer_entries
from crawler.extract.html_text import HEADING_TAGS, Block, parse_html, text_blocks
from crawler.extract.links import is_home_page, page_links
from crawler.extract.name_lines import people_with_anchors
from crawler.extract.naming import practice_name_from_title
from crawler.extract.normalise import collapse_ws
from crawler.extract.pages import classify_page
from crawler.extract.people import Person, npi_from_text, people_from_text
from crawler.extract.statements import doctor_references
from crawler.extract.structured import structured_from_html
from crawler.extract.titles import PHYSICIAN_TITLE, person_specialty_claims

NOTE_CHARS = 1500
LEAD_CHARS = 400  # what is kept of a person's own card or bio text (their offices, their words)


@dataclass
class PageFacts:
    """What one page says: the unit the spider aggregates and journals."""

    root: str
    url: str
    people: list[dict] = field(default_factory=list)  # Person fields
    person_specialties: dict[str, list[str]] = field(default_factory=dict)
    person_other_specialty: dict[str, str] = field(default_factory=dict)
    person_notes: dict[str, str] = field(default_factory=dict)  # their card / bio text
    structured_names: list[str] = field(default_factory=list)
    home_names: list[str] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    subject: str | None = None  # key of the person a profile page is about
    page_kind: str = "other"
    page_address: dict | None = None  # the one office a location page is about
    heading: str | None = None  # the page's main heading
    address_labels: list[list] = field(default_factory=list)  # [address, the heading over it]
    references: list[str] = field(default_factory=list)  # "Dr. Chao" as written in the main text
    lead: str = ""  # the main heading and first paragraph: where a page says what it is about
    people_here: list[str] = field(default_factory=list)  # keys named in the page's main region
    evidence: list[dict] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)
    links: list[list] = field(default_factory=list)  # [url, priority]


def _extend_unique(target: list, values) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)


def profile_person(blocks: list[Block], people: list[Person]) -> Person | None:
    """The one person a page is about: named alone in its <h1> (a doctor's bio page), else None."""
    h1_people: dict[str, Person] = {}
    for block in blocks:
        if block.tag == "h1" and not block.is_boilerplate:
            for person in people_from_text(block.text, heading=True):
                h1_people[person.key] = person
    if len(h1_people) != 1:
        return None
    key = next(iter(h1_people))
    return next((p for p in people if p.key == key), h1_people[key])


def person_cards(blocks: list[Block], anchors: dict[str, list[int]]) -> dict[int, str]:
    """Block index -> the key of the person whose card or section holds it (see module docstring)."""
    main = [i for i, b in enumerate(blocks) if b.region == "main"]
    owner: dict[int, str] = {}
    for index in main:
        for key, places in anchors.items():
            if index in places:
                owner.setdefault(index, key)
    cards: dict[int, str] = {}
    for key, places in anchors.items():
        for anchor in places:
            path = blocks[anchor].path
            best: tuple[int, ...] | None = None
            for depth in range(len(path) - 1, 0, -1):
                prefix = path[:depth]
                inside = [i for i in main if blocks[i].inside(prefix)]
                if _too_big(len(inside), len(main)) or any(
                    owner.get(i, key) != key for i in inside
                ):
                    break
                best = prefix
            if best is not None:
                for i in main:
                    if blocks[i].inside(best):
                        cards.setdefault(i, key)
    # Definition lists: a name in <dt>, their title, clinic and bio in the <dd>s under it.
    for index in main:
        if blocks[index].tag == "dt" and index in owner:
            for following in main[main.index(index) + 1 :]:
                if blocks[following].tag != "dd":
                    break
                cards.setdefault(following, owner[index])
    # Sections: a heading naming one person, to the next heading as high (pages of bare siblings).
    current: tuple[str, int, int] | None = None  # (person, heading level, blocks so far)
    for index in main:
        block = blocks[index]
        if block.tag in HEADING_TAGS:
            level = int(block.tag[1])
            named = owner.get(index)
            if named is not None:
                current = (named, level, 0)
            elif current is not None and level <= current[1]:
                current = None
        if current is not None and index not in cards:
            if _too_big(current[2] + 1, len(main)):
                current = None
                continue
            cards[index] = current[0]
            current = (current[0], current[1], current[2] + 1)
    return cards


MAX_CARD_BLOCKS = 14


def _too_big(blocks: int, page: int) -> bool:
    """A person's card or section is a part of a page: never all of it, never most of a long one
    (then it is the page, and what it says is the practice's)."""
    return blocks >= page or blocks > MAX_CARD_BLOCKS or (page >= 8 and blocks * 2 > page)


LABEL_DISTANCE = 3  # how many blocks above an address its office's heading may be


def address_labels(blocks: list[Block]) -> list[list]:
    """Each address of the page's main region with the heading just above it ("Westlake Aesthetic
    Center", "Main Campus"): what the site calls that office."""
    labels: list[list] = []
    heading: tuple[int, str] | None = None
    for index, block in enumerate(blocks):
        if block.region != "main":
            continue
        if block.tag in HEADING_TAGS or block.tag in ("dt", "strong", "th"):
            heading = (index, block.text)
            continue
        for address in addresses_from_blocks([block]):
            near = heading is not None and index - heading[0] <= LABEL_DISTANCE
            labels.append([address, heading[1] if near else None])
    return labels


def _nearest_person(anchors: dict[str, list[int]]):
    order = sorted((i, key) for key, places in anchors.items() for i in places)

    def nearest(index: int) -> str | None:
        found = None
        for position, key in order:
            if position > index:
                break
            found = key
        return found

    return nearest


def read_page_facts(html: str, url: str, root: str, seen_at: str) -> PageFacts:
    """Everything one page says about its site (pure)."""
    blocks = text_blocks(html)
    structured = structured_from_html(html, url)
    people, anchors = people_with_anchors(blocks)
    for person in structured.people:
        same = next((p for p in people if p.key == person.key), None)
        if same is None:
            people.append(person)
        else:
            same.merge(person)
    facts = PageFacts(root=root, url=url)
    facts.person_specialties = {k: list(v) for k, v in structured.person_specialties.items()}
    facts.person_other_specialty = dict(structured.person_other_specialty)
    facts.structured_names = list(structured.practice_names)
    tree = parse_html(html)
    title = collapse_ws(" ".join(tree.xpath("//title//text()"))) if tree is not None else ""
    home = is_home_page(url)
    if home:
        heading = collapse_ws(" ".join(tree.xpath("//h1//text()"))) if tree is not None else ""
        _extend_unique(facts.home_names, [structured.site_name])
        _extend_unique(facts.home_names, [practice_name_from_title(title, heading)])
    main_addresses = addresses_from_blocks([b for b in blocks if b.region == "main"])
    facts.address_labels = address_labels(blocks)
    facts.heading = next((b.text for b in blocks if b.tag == "h1" and b.region == "main"), None)
    main = [b for b in blocks if b.region == "main" and b.tag in ("h1", "p")]
    # from the main heading on: a banner above it ("Masks are optional") says nothing of the page
    start = next((i for i, b in enumerate(main) if b.tag == "h1"), 0)
    facts.lead = "\n".join(b.text for b in main[start : start + 2])[:LEAD_CHARS]
    facts.references = sorted(
        {ref for b in blocks if b.region == "main" for ref in doctor_references(b.text)}
    )
    merge_addresses(facts.addresses, structured.addresses + addresses_from_blocks(blocks))
    if len(main_addresses) == 1:
        facts.page_address = main_addresses[0]
    _extend_unique(facts.phones, structured.telephones + phones_from_html(html))
    kind = classify_page(url, blocks, title, structured.page_types, structured.og_type, home)
    facts.page_kind = kind.kind
    main_text = " ".join(b.text for b in blocks if b.region == "main")
    subject = profile_person(blocks, people)
    if subject is not None:
        # An NPI written on a doctor's own page is theirs; anywhere else it could be anyone's.
        subject.npi = subject.npi or npi_from_text(main_text)
        facts.subject = subject.key
    cards = person_cards(blocks, anchors)
    own_text: dict[str, list[str]] = {}
    for index, key in cards.items():
        own_text.setdefault(key, []).append(blocks[index].text)
    if subject is not None:
        own_text[subject.key] = [b.text for b in blocks if b.region == "main"]
    by_key = {p.key: p for p in people}
    for key, texts in own_text.items():
        text = " ".join(texts)
        facts.person_notes[key] = text[:NOTE_CHARS]
        slugs, other = person_specialty_claims(text)
        _extend_unique(facts.person_specialties.setdefault(key, []), slugs)
        if other and not facts.person_specialties[key]:
            facts.person_other_specialty.setdefault(key, other)
        person = by_key.get(key)
        # "Dr. Lena Ortiz" whose own card or bio says "dermatologist" or "surgeon" is a physician.
        doctor = person is not None and person.role == "other" and person.titled_doctor
        if doctor and (PHYSICIAN_TITLE.search(text) or slugs):
            person.typed_physician = True
            person.settle_role()
    facts.people_here = sorted(anchors)
    context = PageContext(
        url=url,
        seen_at=seen_at,
        kind=kind,
        subject=facts.subject,
        card_of=cards.get,
        nearest_person=_nearest_person(anchors),
    )
    facts.evidence = evidence_from_blocks(blocks, url, seen_at, context=context)
    facts.evidence += markup_offer_entries(structured.offers, context)
    if subject is None:
        facts.specialties = person_specialty_claims(main_text)[0]
    facts.people = [asdict(p) for p in people]
    facts.links = page_links(html, url, root)
    return facts
