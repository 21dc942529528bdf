"""Split an HTML page into text blocks (paragraphs, list items, headings, cells) tagged by page region."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

BLOCK_TAGS = frozenset(
    "p li h1 h2 h3 h4 h5 h6 td th dd dt address blockquote figcaption div section article "
    "header footer nav aside main ul ol table tr tbody thead form body caption".split()
)
# Blocks whose text may be quoted as evidence; containers (div, section...) only count for their own text.
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "select", "button")
_BOILERPLATE_TAGS = {"nav": "nav", "header": "header", "footer": "footer", "aside": "aside"}
_BOILERPLATE_HINT = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|footer|site-header|breadcrumbs?|cookie)(?:$|[\s_-])", re.I
)
# Patients' words, not the practice's: testimonials, reviews, quote sliders.
_QUOTE_HINT = re.compile(r"testimonial|review|quote-slider|patient-stor|kudos", re.I)


@dataclass(frozen=True)
class Block:
    """One block of visible text: its tag, its text (whitespace-collapsed), its lines, its region,
    and where it sits in the document (`path`: child positions from the root, so a block lies
    inside an element exactly when that element's path is a prefix of its own).

    An image's alt text is a block of tag "img": it may name a person, but it is never quoted."""

    tag: str
    text: str
    lines: tuple[str, ...]
    region: str  # "main" | "nav" | "header" | "footer" | "aside" | "quote" (testimonials)
    path: tuple[int, ...] = ()

    @property
    def is_boilerplate(self) -> bool:
        return self.region != "main"

    def inside(self, path: tuple[int, ...]) -> bool:
        return self.path[: len(path)] == path


def parse_html(html: str | bytes) -> etree._Element | None:
    """An lxml tree for `html`, or None for an empty/unparseable document."""
    if not html or not (html.strip() if isinstance(html, str) else html.strip()):
        return None
    try:
        return lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _region(element: etree._Element) -> str:
    quote = False
    for node in element.iterancestors():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BOILERPLATE_TAGS:
            return _BOILERPLATE_TAGS[tag]
        if node.get("role") == "navigation":
            return "nav"
        hint = f"{node.get('class') or ''} {node.get('id') or ''}"
        if _BOILERPLATE_HINT.search(hint):
            return "footer" if "footer" in hint.lower() else "nav"
        quote = quote or tag == "blockquote" or bool(_QUOTE_HINT.search(hint))
    return "quote" if quote else "main"


def _own_text(element: etree._Element) -> list[str]:
    """The text of `element` excluding nested blocks, with <br> as line breaks."""
    pieces: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br" or tag in BLOCK_TAGS:
            pieces.append("\n")
        elif tag:
            pieces.extend(_own_text(child))
        pieces.append(child.tail or "")
    return pieces


def text_blocks(html: str | bytes) -> list[Block]:
    """Visible text blocks of a page in document order (scripts, styles and forms' controls dropped)."""
    root = parse_html(html)
    if root is None:
        return []
    for bad in root.xpath("|".join(f"//{tag}" for tag in _DROP_TAGS)):
        bad.drop_tree()
    blocks: list[Block] = []
    paths: dict[etree._Element, tuple[int, ...]] = {root: ()}
    for element in root.iter():
        base = paths.get(element, ())
        for position, child in enumerate(element):
            paths[child] = (*base, position)
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "img" and (element.get("alt") or "").strip():
            alt = " ".join(element.get("alt", "").split())
            blocks.append(Block("img", alt, (alt,), _region(element), paths[element]))
            continue
        if tag not in BLOCK_TAGS:
            continue
        raw = "".join(_own_text(element)).replace("\xa0", " ")
        lines = tuple(
            line
            for line in (re.sub(r"[ \t\r\f\v]+", " ", part).strip() for part in raw.split("\n"))
            if line
        )
        if not lines:
            continue
        region = _BOILERPLATE_TAGS.get(tag) or _region(element)
        if tag == "blockquote" and region == "main":
            region = "quote"
        blocks.append(
            Block(tag=tag, text=" ".join(lines), lines=lines, region=region, path=paths[element])
        )
    return blocks


def page_title(html: str | bytes) -> str | None:
    """The <title> text, whitespace-collapsed, or None."""
    root = parse_html(html)
    if root is None:
        return None
    titles = root.xpath("//title/text()")
    title = re.sub(r"\s+", " ", titles[0]).strip() if titles else ""
    return title or None
