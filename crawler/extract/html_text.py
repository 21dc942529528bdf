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
# A class or id token that names a page's chrome: "footer", "site-footer", "main-nav", "navbar",
# "menu-primary", "breadcrumbs", "cookie-banner". Whole tokens only: builders put words like these
# inside content classes ("wsite-not-footer", Divi's body class "et_fixed_nav").
_BOILERPLATE_TOKEN = re.compile(
    r"^(?:(?:site|main|page|global|primary|secondary|top|mobile|desktop|header|footer)[-_])?"
    r"(?P<kind>footer|nav|navbar|navigation|menu|breadcrumbs?|masthead|site-header)"
    r"(?:[-_](?:wrap|wrapper|container|inner|area|bar|widgets?|menu|links|nav|primary|secondary|"
    r"main|top|bottom|items?|list|section|region|holder))*$"
    r"|^cookie",
    re.I,
)
_CONTENT_TAGS = frozenset({"main", "article"})
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


def _chrome(node: etree._Element) -> str | None:
    """ "nav" or "footer" when a class or id token of `node` names page chrome, else None."""
    for token in f"{node.get('class') or ''} {node.get('id') or ''}".split():
        match = _BOILERPLATE_TOKEN.match(token)
        if match:
            return "footer" if "footer" in token.lower() else "nav"
    return None


def _region(element: etree._Element) -> str:
    quote = False
    for node in element.iterancestors():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("body", "html"):
            break  # a body's classes describe the theme, not a region
        if tag in _BOILERPLATE_TAGS:
            return _BOILERPLATE_TAGS[tag]
        role = node.get("role")
        if role == "navigation":
            return "nav"
        if role == "contentinfo":
            return "footer"
        hint = f"{node.get('class') or ''} {node.get('id') or ''}"
        quote = quote or tag == "blockquote" or bool(_QUOTE_HINT.search(hint))
        if tag in _CONTENT_TAGS or role == "main":
            break  # the page's own content: what encloses it says nothing more
        chrome = _chrome(node)
        if chrome:
            return chrome
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
