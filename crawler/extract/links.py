"""Practice-site URLs: the site a page belongs to, the key a page is known by, and the same-site links
worth following, best first. Pure.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from crawler.extract.html_text import parse_html
from crawler.extract.normalise import collapse_ws
from crawler.extract.urls import canonical_url, site_of, trap_reason

# Links worth reading first, best first: the evidence and the people live on these pages.
LINK_PRIORITIES = (
    (re.compile(r"micro-?needl|collagen|skinpen|morpheus|dermapen", re.I), 30),
    (re.compile(r"team|provider|doctor|physician|staff|our-?people|meet|bio|surgeon", re.I), 20),
    (re.compile(r"service|treatment|procedure|cosmetic|aesthetic|skin", re.I), 15),
    (re.compile(r"about|location|contact|office|price|pricing", re.I), 10),
)
# Files a page links to that are not pages: documents, media, archives, fonts and code.
_SKIPPED_EXTENSIONS = tuple(
    f".{ext}"
    for ext in (
        "pdf doc docx xls xlsx ppt pptx odt ods rtf txt csv xml json rss atom ics vcf "
        "jpg jpeg png gif webp svg bmp tif tiff ico heic avif psd ai eps "
        "mp3 mp4 m4a m4v mov avi wmv flv webm ogg ogv wav aac mkv mpeg mpg 3gp "
        "zip rar 7z gz tgz tar bz2 xz dmg exe msi apk iso bin "
        "css js mjs map woff woff2 ttf otf eot"
    ).split()
)
_INDEX_FILE = re.compile(r"/index\.(?:html?|php)$", re.I)


def link_priority(url: str, text: str = "") -> int:
    """Scheduling priority of a link: higher for pages likely to name people or the procedure."""
    haystack = f"{urlsplit(url).path} {text}"
    return max((score for pattern, score in LINK_PRIORITIES if pattern.search(haystack)), default=0)


def site_root(url: str) -> str:
    """The site root URL ("http://127.0.1.3:8301/") used as website and source key."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def same_site(url: str, root: str) -> bool:
    """True when `url` has the same scheme, host and port as `root`."""
    return urlsplit(url).scheme in ("http", "https") and site_of(url) == site_of(root)


def page_key(url: str) -> str:
    """The URL a page is known by: canonical, with "/dir/index.html" the same page as "/dir/"."""
    parts = urlsplit(canonical_url(url))
    if _INDEX_FILE.search(parts.path) and not parts.query:
        parts = parts._replace(path=_INDEX_FILE.sub("/", parts.path))
    return parts.geturl()


def is_home_page(url: str) -> bool:
    return urlsplit(url).path in ("", "/", "/index.html", "/index.htm", "/home", "/home.html")


def page_links(html: str, url: str, root: str) -> list[list]:
    """Same-site links of a page with their priorities, canonical and trap-free."""
    tree = parse_html(html)
    if tree is None:
        return []
    links: dict[str, int] = {}
    for anchor in tree.xpath("//a[@href]"):
        target = urljoin(url, anchor.get("href", "").strip()).split("#", 1)[0]
        if not same_site(target, root) or urlsplit(target).path.lower().endswith(
            _SKIPPED_EXTENSIONS
        ):
            continue
        if trap_reason(target):
            continue
        target = canonical_url(target)
        priority = link_priority(target, collapse_ws(anchor.text_content()))
        links[target] = max(priority, links.get(target, 0))
    return [[target, priority] for target, priority in links.items()]
