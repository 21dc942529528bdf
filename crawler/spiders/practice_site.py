"""Spider "practices": crawl practice websites (same scheme+host+port only) and emit one practice and
its physicians per site, with microneedling evidence quoted from the site's own pages.

Aggregation: each page is read into `PageFacts` (pure) and folded into a per-site `SiteState`.
Nothing is emitted per page, because who works where and who offers what is only known once the
site has been read. Every request the spider makes is counted per site and carries an errback, so
each one ends in exactly one callback: the page (parse) or its failure (robots.txt refusal, page
cap, HTTP error, timeout: errback). When a site's count reaches zero it is complete: its items are
emitted and its state is freed, so memory follows the sites in flight, not the whole crawl. Links
past DEPTH_LIMIT are not requested (DepthMiddleware would drop them without any callback). As a
safety net, the `spider_idle` handler emits any site still unemitted through one `data:` request.

Resume (`SKINMAP_PAGE_JOURNAL`, set by `crawler.run` for --resume): every page's facts and links are
appended to a JSON-lines journal as soon as the page is read. A resumed crawl (even after SIGKILL)
reloads the facts, fetches only the pages no journal line covers, and emits complete sites. Scrapy's
own JOBDIR is not used for this spider: after SIGKILL it remembers requests as seen that were never
fetched, and it cannot restore the in-memory site aggregates.

Distributed (`SKINMAP_REDIS_URL`, `skinmap crawl practices --redis URL`): processes share a queue of
whole sites and a page duplicate filter in Redis (see crawler/distributed.py), so a site's pages are
all read, and its items emitted, by the one process that claimed it. The journal is not used then.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS

from crawler.extract.contact import addresses_from_html, merge_addresses, phones_from_html
from crawler.extract.evidence import evidence_from_blocks, rank_evidence
from crawler.extract.html_text import HEADING_TAGS, Block, parse_html, text_blocks
from crawler.extract.normalise import (
    collapse_ws,
    name_key,
    refine_specialties,
    specialties_from_text,
)
from crawler.extract.people import Person, npi_from_text, people_from_blocks, people_from_text
from crawler.extract.structured import structured_from_html
from crawler.items import PracticeItem, PractitionerItem, utc_now
from crawler.middlewares import canonical_url, site_of, trap_reason

# Links worth reading first, best first: the evidence and the people live on these pages.
LINK_PRIORITIES = (
    (re.compile(r"micro-?needl|collagen|skinpen|morpheus|dermapen", re.I), 30),
    (re.compile(r"team|provider|doctor|physician|staff|our-?people|meet|bio|surgeon", re.I), 20),
    (re.compile(r"service|treatment|procedure|cosmetic|aesthetic|skin", re.I), 15),
    (re.compile(r"about|location|contact|office|price|pricing", re.I), 10),
)
_SKIPPED_EXTENSIONS = tuple(f".{ext}" for ext in IGNORED_EXTENSIONS)
_TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+|\s*::\s*")
_GENERIC_TITLE = re.compile(r"^(home|home ?page|welcome|index|main)$", re.I)


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


_INDEX_FILE = re.compile(r"/index\.(?:html?|php)$", re.I)


def page_key(url: str) -> str:
    """The URL a page is known by: canonical, with "/dir/index.html" the same page as "/dir/"."""
    parts = urlsplit(canonical_url(url))
    if _INDEX_FILE.search(parts.path) and not parts.query:
        parts = parts._replace(path=_INDEX_FILE.sub("/", parts.path))
    return parts.geturl()


def is_home_page(url: str) -> bool:
    return urlsplit(url).path in ("", "/", "/index.html", "/index.htm", "/home", "/home.html")


def practice_name_from_title(title: str | None, heading: str | None = None) -> str | None:
    """The practice part of a home page title.

    "Home | Lakeside Dermatology" -> "Lakeside Dermatology"; "Glow Skin Studio - Med Spa" with the
    heading "Glow Skin Studio" -> "Glow Skin Studio" (the part the page's <h1> repeats wins).
    """
    if not title:
        return None
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    parts = [p for p in parts if not _GENERIC_TITLE.match(p)]
    if heading:
        for part in parts:
            if part.lower() == collapse_ws(heading).lower():
                return part
    return parts[0] if parts else None


def choose_practice_name(structured: list[str], home: list[str], fallback: str) -> str:
    """Markup names that the home page confirms, else the home page's own name, else markup, else
    the host ("Denver" as a location's schema.org name never beats "Mile High Plastic Surgery")."""
    confirmed = {name.lower() for name in home}
    for name in structured:
        if name.lower() in confirmed:
            return name
    return (home or structured or [fallback])[0]


def _extend_unique(target: list, values) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)


@dataclass
class PageFacts:
    """What one page says: the unit the spider aggregates and journals."""

    root: str
    url: str
    people: list[dict] = field(default_factory=list)  # Person fields
    person_specialties: dict[str, list[str]] = field(default_factory=dict)
    structured_names: list[str] = field(default_factory=list)
    home_names: list[str] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    subject: str | None = None  # key of the person a profile page is about
    evidence: list[dict] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)
    links: list[list] = field(default_factory=list)  # [url, priority]


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


def section_specialties(blocks: list[Block]) -> dict[str, list[str]]:
    """Specialties claimed in the text under a heading that names one person (a team page's bios)."""
    result: dict[str, list[str]] = {}
    current: str | None = None
    for block in blocks:
        if block.is_boilerplate:
            continue
        if block.tag in HEADING_TAGS:
            named = people_from_text(block.text, heading=True)
            current = named[0].key if len(named) == 1 else None
            continue
        if current:
            _extend_unique(result.setdefault(current, []), specialties_from_text(block.text))
    return result


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


def read_page_facts(html: str, url: str, root: str, seen_at: str) -> PageFacts:
    """Everything one page says about its site (pure)."""
    blocks = text_blocks(html)
    structured = structured_from_html(html, url)
    people = people_from_blocks(blocks)
    for person in structured.people:
        same = next((p for p in people if p.key == person.key), None)
        if same is None:
            people.append(person)
        else:
            same.merge(person)
    facts = PageFacts(root=root, url=url)
    facts.person_specialties = {k: list(v) for k, v in structured.person_specialties.items()}
    for key, slugs in section_specialties(blocks).items():
        _extend_unique(facts.person_specialties.setdefault(key, []), slugs)
    facts.structured_names = list(structured.practice_names)
    if is_home_page(url):
        tree = parse_html(html)
        title = collapse_ws(" ".join(tree.xpath("//title//text()"))) if tree is not None else ""
        heading = collapse_ws(" ".join(tree.xpath("//h1//text()"))) if tree is not None else ""
        site_names = (
            tree.xpath("//meta[@property='og:site_name']/@content") if tree is not None else []
        )
        _extend_unique(facts.home_names, [collapse_ws(n) for n in site_names])
        _extend_unique(facts.home_names, [practice_name_from_title(title, heading)])
    merge_addresses(facts.addresses, structured.addresses + addresses_from_html(html))
    _extend_unique(facts.phones, structured.telephones + phones_from_html(html))
    main_text = " ".join(b.text for b in blocks if not b.is_boilerplate)
    subject = profile_person(blocks, people)
    if subject is not None:
        # An NPI written on a doctor's own page is theirs; anywhere else it could be anyone's.
        subject.npi = subject.npi or npi_from_text(main_text)
        facts.subject = subject.key
        facts.evidence = evidence_from_blocks(blocks, url, seen_at, scope="practitioner")
        _extend_unique(
            facts.person_specialties.setdefault(subject.key, []), specialties_from_text(main_text)
        )
    else:
        facts.evidence = evidence_from_blocks(blocks, url, seen_at, scope="practice")
        facts.specialties = specialties_from_text(main_text)
    facts.people = [asdict(p) for p in people]
    facts.links = page_links(html, url, root)
    return facts


@dataclass
class SiteState:
    """Everything learned about one site so far."""

    root: str
    structured_names: list[str] = field(default_factory=list)
    home_names: list[str] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)
    profile_urls: dict[str, str] = field(default_factory=dict)
    person_evidence: dict[str, list[dict]] = field(default_factory=dict)
    person_specialties: dict[str, list[str]] = field(default_factory=dict)
    evidence: list[dict] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)
    pages: int = 0
    emitted: bool = False

    def add_person(self, person: Person) -> None:
        if person.key in self.people:
            self.people[person.key].merge(person)
        else:
            self.people[person.key] = person

    def add(self, facts: PageFacts) -> None:
        """Fold one page's facts in (order-independent apart from list order)."""
        for fields in facts.people:
            self.add_person(Person(**fields))
        for key, slugs in facts.person_specialties.items():
            _extend_unique(self.person_specialties.setdefault(key, []), slugs)
        _extend_unique(self.structured_names, facts.structured_names)
        _extend_unique(self.home_names, facts.home_names)
        merge_addresses(self.addresses, facts.addresses)
        _extend_unique(self.phones, facts.phones)
        if facts.subject is not None:
            self.profile_urls.setdefault(facts.subject, facts.url)
            _extend_unique(self.person_evidence.setdefault(facts.subject, []), facts.evidence)
        else:
            _extend_unique(self.evidence, facts.evidence)
            _extend_unique(self.specialties, facts.specialties)
        self.pages += 1


def read_page(state: SiteState, html: str, url: str, seen_at: str) -> None:
    """Fold one page into the site state."""
    state.add(read_page_facts(html, url, state.root, seen_at))


STRONG_QUOTE_WORDS = 4


def strongest_evidence(evidence: list[dict], seen_at: str | None = None) -> list[dict]:
    """Evidence without bare labels ("SkinPen microneedling" as a heading or menu entry) when full
    sentences say the same thing; negated mentions are always kept.

    With `seen_at`, every entry is stamped with it: one site crawl is one sighting, so the page
    order of a crawl never makes one of its quotes "newer" than another (the index lets the newest
    evidence of a practice decide).
    """

    def strong(entry: dict) -> bool:
        return len(entry["quote"].split()) >= STRONG_QUOTE_WORDS

    kept = evidence
    if any(strong(e) and not e["negated"] for e in evidence):
        kept = [e for e in evidence if e["negated"] or strong(e)]
    return [dict(e, seen_at=seen_at) if seen_at else dict(e) for e in rank_evidence(kept)]


def site_items(state: SiteState, fetched_at: str) -> list[PracticeItem | PractitionerItem]:
    """One PracticeItem, plus one PractitionerItem per physician, for a finished site."""
    name = choose_practice_name(
        state.structured_names, state.home_names, urlsplit(state.root).hostname or state.root
    )
    phone = state.phones[0] if state.phones else None
    blank = {"street": None, "city": None, "state": None, "postal_code": None}
    addresses = state.addresses or ([{**blank, "phone": phone}] if phone else [])
    locations = [
        {
            "practice": name,
            **address,
            "phone": address.get("phone") or phone,
            "lat": None,
            "lon": None,
        }
        for address in addresses
    ]
    staff = [
        {"name": p.name, "credentials": p.credentials, "role": p.role, "is_physician": False}
        for p in state.people.values()
        if not p.is_physician
    ]
    items: list[PracticeItem | PractitionerItem] = [
        PracticeItem(
            source="practice_site",
            source_key=state.root,
            url=state.root,
            fetched_at=fetched_at,
            name=name,
            website=state.root,
            locations=locations,
            evidence=strongest_evidence(state.evidence, fetched_at),
            staff=staff,
        )
    ]
    for person in (p for p in state.people.values() if p.is_physician):
        own_evidence = state.person_evidence.get(person.key) or []
        # A person's own claims first; the site's general claims only when they have none.
        specialties = refine_specialties(
            state.person_specialties.get(person.key) or state.specialties
        )
        items.append(
            PractitionerItem(
                source="practice_site",
                source_key=f"{state.root}#{name_key(person.name)}",
                url=state.profile_urls.get(person.key, state.root),
                fetched_at=fetched_at,
                name=person.name,
                first_name=person.first_name,
                middle_name=person.middle_name,
                last_name=person.last_name,
                suffix=person.suffix,
                credentials=person.credentials,
                npi=person.npi,
                specialties=specialties,
                is_physician=True,
                role=person.role,
                practice_name=name,
                website=state.root,
                profile_url=state.profile_urls.get(person.key),
                locations=locations,
                # The doctor's own page outranks what the practice says in general.
                evidence=strongest_evidence(own_evidence or state.evidence, fetched_at),
            )
        )
    return items


def read_seeds(path: str | Path | None) -> list[str]:
    """Start URLs from a seeds file: one per line, blank lines and # comments ignored."""
    if not path:
        return []
    urls = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            urls.append(line)
    return urls


def load_journal(path: Path) -> list[PageFacts]:
    """Page facts journaled by an earlier, unfinished run (a torn last line is ignored)."""
    if not path.exists():
        return []
    facts = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                facts.append(PageFacts(**json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue  # the line being written when the process was killed
    return facts


class PracticeSiteSpider(scrapy.Spider):
    name = "practices"

    def __init__(self, start_urls=None, seeds: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(start_urls, str):
            start_urls = [u for u in re.split(r"[\s,]+", start_urls) if u]
        urls = list(start_urls or []) + read_seeds(seeds)
        self.start_urls = [u for u in dict.fromkeys(urls) if u.startswith(("http://", "https://"))]
        self.sites: dict[str, SiteState] = {}
        self.pending: Counter[str] = Counter()  # requests of a site not yet answered or failed
        self.requested: set[str] = set()
        self.read: set[str] = set()
        self.journal_path: Path | None = None
        self.journal = None
        self.depth_limit = 0
        self.shared = None  # crawler.distributed.SharedCrawl when the crawl is shared via Redis

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        journal = crawler.settings.get("SKINMAP_PAGE_JOURNAL")
        spider.journal_path = Path(journal) if journal else None
        spider.depth_limit = crawler.settings.getint("DEPTH_LIMIT")
        if crawler.settings.get("SKINMAP_REDIS_URL"):
            from crawler.distributed import SharedCrawl

            spider.shared = SharedCrawl.from_settings(crawler.settings)
        return spider

    def request(self, url: str, root: str, priority: int = 0) -> scrapy.Request | None:
        """A request for a page not yet requested nor read in this crawl (or the journal)."""
        url = page_key(url)
        if url in self.requested or url in self.read:
            return None
        if self.shared is not None and not self.shared.first_sighting(url, root):
            self.crawler.stats.inc_value("skinmap/redis/pages_seen_elsewhere")
            return None
        self.requested.add(url)
        self.pending[root] += 1
        # Our own dedupe replaces Scrapy's: a resumed crawl must re-ask what a killed one only queued.
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            priority=priority,
            dont_filter=True,
            meta={"skinmap_root": root},
        )

    async def start(self):
        if self.shared is not None:
            for request in self.start_shared():
                yield request
            return
        for url in self.start_urls:
            self.sites.setdefault(site_root(url), SiteState(root=site_root(url)))
        frontier: list[tuple[str, str, int]] = []
        if self.journal_path is not None:
            for facts in load_journal(self.journal_path):
                if page_key(facts.url) in self.read or facts.root not in self.sites:
                    continue
                self.read.add(page_key(facts.url))
                self.sites[facts.root].add(facts)
                frontier.extend((url, facts.root, priority) for url, priority in facts.links)
            self.crawler.stats.set_value("skinmap/journal_pages", len(self.read))
            self.journal_path.parent.mkdir(parents=True, exist_ok=True)
            self.journal = open(self.journal_path, "a", encoding="utf-8")  # noqa: SIM115 - closed on close
        # Build (and so count) every request first: Scrapy pulls start requests lazily, and a site
        # whose count touched zero between two pulls would be emitted before its other pages.
        requests = [self.request(url, site_root(url), priority=100) for url in self.start_urls]
        requests += [self.request(url, root, priority) for url, root, priority in frontier]
        for root in list(self.sites):
            if self.pending[root] <= 0:  # read in full before a kill: nothing left to fetch
                for item in self.emit(root):
                    yield item
        for request in requests:
            if request is not None:
                yield request

    def parse(self, response):
        root = response.meta.get("skinmap_root") or site_root(response.url)
        yield from self.read_response(response, root)
        yield from self.answered(root)

    def failed(self, failure):
        """Errback: robots.txt refusals, page-cap drops, HTTP errors and network failures."""
        root = failure.request.meta.get("skinmap_root") or site_root(failure.request.url)
        yield from self.answered(root)

    def read_response(self, response, root: str):
        if not isinstance(response, TextResponse) or b"html" not in (
            response.headers.get(b"Content-Type") or b"text/html"
        ):
            return
        state = self.sites.get(root)
        if state is None or site_root(response.url) != root:  # redirected to another site
            self.crawler.stats.inc_value("skinmap/offsite_redirect")
            return
        url = page_key(response.url)
        if url in self.read:  # reached again through a redirect or as index.html
            return
        if state.emitted:  # cannot happen while every request is counted; never overwrite
            self.crawler.stats.inc_value("skinmap/page_after_emit")
            self.logger.warning("page %s arrived after its site was emitted", response.url)
            return
        self.read.add(url)
        facts = read_page_facts(response.text, response.url, root, utc_now())
        state.add(facts)
        if self.journal is not None:
            self.journal.write(json.dumps(asdict(facts), separators=(",", ":")) + "\n")
            self.journal.flush()
        # Links past DEPTH_LIMIT would be dropped by DepthMiddleware without a callback we could
        # count, so they are not requested at all.
        if self.depth_limit and response.meta.get("depth", 0) + 1 > self.depth_limit:
            self.crawler.stats.inc_value("skinmap/depth_limited_pages")
            return
        for target, priority in facts.links:
            request = self.request(target, root, priority)
            if request is not None:
                yield request

    def answered(self, root: str):
        """One request of `root` is done; when none is left, the site is complete: emit it."""
        self.pending[root] -= 1
        if self.pending[root] <= 0:
            yield from self.emit(root)
            if self.shared is not None and self.shared.finish(root):
                # Straight to the engine: yielded from here, DepthMiddleware would give the next
                # site's home page this page's depth (and drop it past DEPTH_LIMIT).
                for request in self.claim_sites(1):
                    self.crawler.engine.crawl(request)

    def start_shared(self) -> list[scrapy.Request]:
        """Distributed mode: queue our start sites (once across processes), then claim some."""
        from crawler.distributed import site_tasks

        queued = self.shared.seed(site_tasks(self.start_urls, site_root))
        self.crawler.stats.set_value("skinmap/redis/sites_seeded", queued)
        return self.claim_sites(self.shared.sites_in_flight)

    def claim_sites(self, wanted: int) -> list[scrapy.Request]:
        """Claim up to `wanted` sites from the shared queue; the requests that start them.

        Every request of a site is built (and so counted) before any is returned, as in start().
        """
        requests: list[scrapy.Request] = []
        claimed = 0
        while claimed < wanted:
            task = self.shared.claim()
            if task is None:
                break
            self.crawler.stats.inc_value("skinmap/redis/sites_claimed")
            self.sites.setdefault(task.root, SiteState(root=task.root))
            built = [self.request(url, task.root, priority=100) for url in task.start_urls]
            built = [request for request in built if request is not None]
            if built:
                requests += built
                claimed += 1
            else:  # nothing left to fetch on it: it is done
                self.shared.finish(task.root)
        return requests

    def emit(self, root: str, at_idle: bool = False):
        state = self.sites.get(root)
        if state is None or state.emitted or not state.pages:
            return
        if at_idle:  # the safety net caught a site whose request count went wrong
            self.crawler.stats.inc_value("skinmap/sites_emitted_at_idle")
        items = site_items(state, utc_now())
        # Keep only the marker: a finished site's people and quotes need no memory any more.
        self.sites[root] = SiteState(root=root, pages=state.pages, emitted=True)
        self.crawler.stats.inc_value("skinmap/sites_emitted")
        yield from items

    def on_idle(self):
        # Safety net: a site whose count went wrong is emitted when the whole crawl is idle.
        if any(not state.emitted and state.pages for state in self.sites.values()):
            self.crawler.engine.crawl(
                scrapy.Request("data:,flush", callback=self.flush, dont_filter=True, priority=-100)
            )
            raise DontCloseSpider("emitting per-site items")
        if self.shared is not None:
            # Claims still open here were emitted by the safety net (or had no page): done.
            for root in list(self.shared.claims):
                self.shared.finish(root)
            # Exit only when the shared queue is empty too (sites seeded late or released).
            requests = self.claim_sites(self.shared.sites_in_flight)
            if requests:
                for request in requests:
                    self.crawler.engine.crawl(request)
                raise DontCloseSpider("claimed more shared sites")

    def flush(self, response):
        for root in list(self.sites):
            yield from self.emit(root, at_idle=True)

    def on_closed(self, spider, reason):
        if self.shared is not None and self.shared.claims:
            # Interrupted: unfinished sites go back to the queue, to be crawled whole elsewhere.
            released = self.shared.release()
            self.crawler.stats.set_value("skinmap/redis/sites_released", len(released))
            self.logger.warning("gave %d unfinished sites back to the shared queue", len(released))
        if self.journal is not None:
            self.journal.close()
            self.journal = None
            # A finished crawl is complete: the next --resume starts afresh instead of replaying it.
            if reason == "finished" and self.journal_path is not None:
                self.journal_path.unlink(missing_ok=True)
