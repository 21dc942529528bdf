"""What kind of page a page is, by its place on the site and its own markings.

- `article`: a blog post, news item, patient-education or resource page (URL section, a date in
  the path, Article/BlogPosting markup, og:type article, a byline). It informs; only its explicit
  offer statements count.
- `faq`: questions and answers (URL, heading, FAQPage markup).
- `treatment`: the practice's own page for the procedure: its main heading names it, and it is
  not an article. By convention such a page in a practice's services is an offer.
- `menu`: a services, treatments or pricing page listing what the practice does.
- `home`, `other`.

Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.extract.html_text import Block
from crawler.extract.terms import find_terms

_ARTICLE_PATH = re.compile(
    r"/(?:blogs?|news|articles?|posts?|journal|press|stories|insights|magazine|tips|advice|"
    r"resources?|learn|library|education|patient-education|patient-resources|updates|media|"
    r"newsletter|in-the-news|skin-care-tips|skincare-tips|ask-the-doctor|conditions)(?:/|$|[-_.])",
    re.I,
)
_DATE_PATH = re.compile(r"/(?:19|20)\d\d/(?:\d\d/)?")
_FAQ_PATH = re.compile(r"(?:^|/|-)(?:faqs?|questions|q-and-a|qa)(?:/|$|[-_.])", re.I)
_FAQ_HEADING = re.compile(
    r"\b(?:FAQs?|frequently asked questions|questions (?:and|&) answers)\b", re.I
)
_MENU_HEADING = re.compile(
    r"^(?:our\s+)?(?:services|treatments|procedures|menu|pricing|prices|price list|"
    r"(?:cosmetic|aesthetic|medical spa|med spa|skin ?care|dermatology|medical|surgical)\s+"
    r"(?:services|treatments|procedures|menu)|what we (?:offer|do)|our offerings|treatment menu|"
    r"service menu|specials)\b",
    re.I,
)
_BYLINE = re.compile(
    r"^(?:posted|published|written|updated|last updated)\b|^by\s+[A-Z]|\bmin(?:ute)? read\b|"
    r"^(?:medically )?reviewed by\b|\bposted (?:on|in|by)\b",
    re.I,
)
ARTICLE_TYPES = frozenset(
    {"BlogPosting", "Article", "NewsArticle", "SocialMediaPosting", "Report", "ScholarlyArticle"}
)


@dataclass(frozen=True)
class PageKind:
    """What a page is, and why (for the audit trail of a quote)."""

    kind: str  # "article" | "faq" | "treatment" | "menu" | "home" | "other"
    reason: str
    heading: str | None = None  # the main heading, when it names the procedure


def _main_heading(blocks: list[Block]) -> str | None:
    for tag in ("h1", "h2"):
        for block in blocks:
            if block.tag == tag and block.region in ("main", "header"):
                return block.text
    return None


def classify_page(
    url: str,
    blocks: list[Block],
    title: str | None = None,
    page_types: set[str] | frozenset[str] = frozenset(),
    og_type: str | None = None,
    home: bool = False,
) -> PageKind:
    """The kind of one page (see the module docstring)."""
    path = urlsplit(url).path or "/"
    heading = _main_heading(blocks)
    if home:
        return PageKind("home", "home page")
    if _FAQ_PATH.search(path) or page_types & {"FAQPage"}:
        return PageKind("faq", "an FAQ page")
    if heading and _FAQ_HEADING.search(heading):
        return PageKind("faq", "an FAQ page")
    if _ARTICLE_PATH.search(path) or _DATE_PATH.search(path):
        return PageKind("article", "a blog, news or education section")
    if page_types & ARTICLE_TYPES or (og_type or "").lower() == "article":
        return PageKind("article", "marked up as an article")
    main = [b for b in blocks if b.region == "main"][:12]
    if any(_BYLINE.search(b.text) for b in main if len(b.text) < 120):
        return PageKind("article", "a dated, signed post")
    named = heading if heading and find_terms(heading) else None
    if named is None and title and find_terms(title.split("|")[0].split(" - ")[0]):
        named = title
    if named:
        return PageKind("treatment", "the practice's page for the treatment", heading=named)
    if (heading and _MENU_HEADING.search(heading)) or re.search(
        r"/(?:services|treatments|procedures|menu|pricing|prices)/?$", path, re.I
    ):
        return PageKind("menu", "the practice's services page")
    return PageKind("other", "a page of the practice")
