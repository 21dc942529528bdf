"""Score the practice-site crawl on the generalisation set: blind-written sites and their truth.

Each batch folder holds `sites/<dir>/` (a static practice website) and `truth.json` (who works
there, who offers microneedling, and every sentence that names it, labelled offer / mention /
refusal). The run is the real pipeline: every site is served on its own loopback address, the
`practices` spider crawls them all in a child process into a fresh store, and the index's own
`compute_listings` decides the public listings. Nothing is read from the spider's internals.

    .venv/bin/python -m tests.crawler.generalisation.score            # every batch
    .venv/bin/python -m tests.crawler.generalisation.score 03 -v      # one batch, every error

Offer precision and recall count physicians: a listing is a predicted offer when its
`offers_microneedling` is true; a truth offer is a physician of a target specialty whose `offers`
is true. A listing that matches nobody in the truth, or matches a non-physician, counts against
precision. Physicians of other specialties (a family physician directing a med spa) are outside
the directory: not listing them is right, listing them as offering when they do not is an error,
and giving them a target specialty is an error of its own.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SPECIALTIES = frozenset(
    {
        "dermatology",
        "mohs-surgery",
        "plastic-surgery",
        "facial-plastic-surgery",
        "cosmetic-surgery",
        "oculoplastic-surgery",
    }
)
_NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_NAME_PARTICLES = {"de", "la", "del", "van", "der", "von", "da", "di", "le", "du", "st"}


# ---------------------------------------------------------------- truth


@dataclass(frozen=True)
class TruthPerson:
    name: str
    physician: bool
    specialty: str | None
    offers: bool | None
    why: str = ""


@dataclass(frozen=True)
class Statement:
    page: str
    kind: str  # "offer" | "mention" | "refusal"
    text: str


@dataclass(frozen=True)
class TruthSite:
    batch: str
    dir: str
    practice: str
    people: tuple[TruthPerson, ...]
    statements: tuple[Statement, ...]

    @property
    def path(self) -> str:
        """The site folder relative to this directory (what the site server serves)."""
        return f"batch-{self.batch}/sites/{self.dir}"


def batches() -> list[str]:
    """Batch ids present ("01", "02", ...), in order."""
    return sorted(p.parent.name.removeprefix("batch-") for p in HERE.glob("batch-*/truth.json"))


def load_batch(batch: str) -> list[TruthSite]:
    """The sites of one batch, as its truth file describes them."""
    truth = json.loads((HERE / f"batch-{batch}" / "truth.json").read_text(encoding="utf-8"))
    sites = []
    for site in truth["sites"]:
        people = tuple(
            TruthPerson(
                name=p["name"],
                physician=bool(p.get("physician")),
                specialty=p.get("specialty"),
                offers=p.get("offers"),
                why=p.get("why", ""),
            )
            for p in site.get("people", [])
        )
        statements = tuple(
            Statement(page=s["page"], kind=s["kind"], text=s["text"])
            for s in site.get("statements", [])
        )
        sites.append(TruthSite(batch, site["dir"], site.get("practice", ""), people, statements))
    return sites


# ---------------------------------------------------------------- matching (pure)


def name_words(name: str) -> list[str]:
    """Lower-case ASCII words of a name: accents folded, dots, suffixes and particles dropped."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z\s-]", " ", folded).replace("-", " ").split()
    return [w for w in words if w not in _NAME_SUFFIXES and w not in _NAME_PARTICLES]


def match_people(truth: Iterable[TruthPerson], names: list[str]) -> dict[int, TruthPerson | None]:
    """For each found name (by position), the truth person it is, or None.

    First and last name must agree; failing that, a last name that only one truth person has
    (sites write "Bill" for William, or drop a middle name the truth keeps).
    """
    people = list(truth)
    result: dict[int, TruthPerson | None] = {}
    taken: set[int] = set()
    keyed = [(name_words(p.name), p) for p in people]
    for index, name in enumerate(names):
        words = name_words(name)
        result[index] = None
        if not words:
            continue
        exact = [
            n
            for n, (w, _p) in enumerate(keyed)
            if w and w[0] == words[0] and w[-1] == words[-1] and n not in taken
        ]
        if not exact:
            exact = [
                n for n, (w, _p) in enumerate(keyed) if w and w[-1] == words[-1] and n not in taken
            ]
            if len(exact) != 1:
                exact = []
        if exact:
            taken.add(exact[0])
            result[index] = keyed[exact[0]][1]
    return result


def _squash(text: str) -> str:
    return " ".join(re.sub(r"[\"“”'’‘]", "", text).lower().split()).strip(" .!")


def quote_kind(quote: str, statements: Iterable[Statement]) -> str | None:
    """The truth label of the sentence a quote shows ("offer", "mention", "refusal"), or None when
    it overlaps no labelled sentence (a heading, a link text, a sentence the truth missed)."""
    q = _squash(quote)
    if not q:
        return None
    for statement in statements:
        t = _squash(statement.text)
        # A fragment counts only when it is most of the sentence: a heading "Microneedling" is
        # not the offer sentence it happens to be part of.
        if t and (t in q or (q in t and (len(q.split()) >= 6 or len(q) * 2 >= len(t)))):
            return statement.kind
    return None


# ---------------------------------------------------------------- the score


@dataclass(frozen=True)
class Found:
    """One public listing of a site, reduced to what the score needs."""

    name: str
    offers: bool | None
    specialties: tuple[str, ...]
    quote: str | None
    quote_url: str | None


@dataclass
class Score:
    tp: int = 0  # listed as offering, truth offers
    fp: int = 0  # listed as offering, truth does not (or not a truth physician)
    fn: int = 0  # truth offers, not listed as offering
    physicians: int = 0  # truth physicians of a target specialty
    physicians_found: int = 0
    listings: int = 0
    listings_right: int = 0  # listings that are a truth physician
    staff_listed: int = 0
    wrong_specialty: int = 0  # a non-target physician given a target specialty
    negatives_right: int = 0  # truth false -> False, truth null -> None
    negatives: int = 0
    quotes_offer: int = 0  # true positives whose quote is a labelled offer statement
    errors: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name, value in vars(other).items():
            if name == "errors":
                self.errors.extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    @property
    def precision(self) -> float:
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def people_precision(self) -> float:
        return self._ratio(self.listings_right, self.listings)

    @property
    def people_recall(self) -> float:
        return self._ratio(self.physicians_found, self.physicians)

    @property
    def quote_quality(self) -> float:
        return self._ratio(self.quotes_offer, self.tp)

    def summary(self) -> str:
        return (
            f"offers P {self.precision:.2f} ({self.tp}/{self.tp + self.fp}) "
            f"R {self.recall:.2f} ({self.tp}/{self.tp + self.fn}); "
            f"physicians P {self.people_precision:.2f} ({self.listings_right}/{self.listings}) "
            f"R {self.people_recall:.2f} ({self.physicians_found}/{self.physicians}); "
            f"quotes that are offer statements {self.quote_quality:.2f} "
            f"({self.quotes_offer}/{self.tp}); not-offers right {self.negatives_right}/"
            f"{self.negatives}; staff listed {self.staff_listed}; "
            f"wrong specialty {self.wrong_specialty}"
        )


def _target(specialty: str | None) -> bool:
    return specialty in TARGET_SPECIALTIES


def score_site(site: TruthSite, found: list[Found]) -> Score:
    """Score one site's listings against its truth (pure)."""
    score = Score()
    where = f"{site.batch}/{site.dir}"
    matches = match_people(site.people, [f.name for f in found])
    matched: set[str] = set()
    for index, listing in enumerate(found):
        person = matches[index]
        score.listings += 1
        if person is None:
            score.errors.append(f"{where}: listed someone not in the truth: {listing.name!r}")
        elif not person.physician:
            score.staff_listed += 1
            score.errors.append(f"{where}: listed staff member {person.name!r} as a physician")
        else:
            score.listings_right += 1
            matched.add(person.name)
        other = person is not None and person.physician and not _target(person.specialty)
        if other and TARGET_SPECIALTIES & set(listing.specialties):
            score.wrong_specialty += 1
            score.errors.append(
                f"{where}: {person.name!r} ({person.specialty}) listed as "
                f"{sorted(listing.specialties)}"
            )
        truth_offers = person.offers if person is not None and person.physician else None
        if person is not None and person.physician and not _target(person.specialty):
            # Outside the directory's specialties: listing them is not required; only a wrong
            # offer claim counts.
            if listing.offers is True and truth_offers is not True:
                score.fp += 1
                score.errors.append(
                    f"{where}: {listing.name!r} ({person.specialty}) listed as offering "
                    f"(truth {truth_offers}) on {listing.quote!r}"
                )
            continue
        if listing.offers is True:
            if truth_offers is True:
                score.tp += 1
                kind = quote_kind(listing.quote or "", site.statements)
                if kind == "offer":
                    score.quotes_offer += 1
                else:
                    score.errors.append(
                        f"{where}: {listing.name!r} quote is a {kind or 'unlabelled'} "
                        f"sentence: {listing.quote!r}"
                    )
            else:
                score.fp += 1
                kind = quote_kind(listing.quote or "", site.statements)
                score.errors.append(
                    f"{where}: {listing.name!r} listed as offering (truth {truth_offers}) on a "
                    f"{kind or 'unlabelled'} quote {listing.quote!r} ({listing.quote_url})"
                )
        elif truth_offers is True:
            score.fn += 1
            score.errors.append(
                f"{where}: {listing.name!r} offers (truth: {person.why}) but listed as "
                f"{listing.offers}"
            )
        elif person is not None and person.physician:
            score.negatives += 1
            if listing.offers is truth_offers:
                score.negatives_right += 1
            else:
                score.errors.append(
                    f"{where}: {listing.name!r} listed as {listing.offers}, truth {truth_offers}"
                )
    for person in site.people:
        if not person.physician:
            continue
        if _target(person.specialty):
            score.physicians += 1
            if person.name in matched:
                score.physicians_found += 1
        if person.name in matched:
            continue
        if not _target(person.specialty):
            continue
        score.errors.append(f"{where}: physician {person.name!r} not listed")
        if person.offers is True:
            score.fn += 1
            score.errors.append(f"{where}: {person.name!r} offers ({person.why}) but not listed")
    return score


# ---------------------------------------------------------------- the real run


def crawl_and_list(sites: list[TruthSite], work: Path) -> dict[str, list[Found]]:
    """Serve the sites, crawl them with the real spider (child process), build the listings with
    the index's own code; the listings per site folder path."""
    from index.build import compute_listings
    from index.store import Store
    from tests.crawler.crawl_helpers import run_crawl
    from tests.crawler.siteserver import SiteServers

    servers = SiteServers(HERE, [site.path for site in sites])
    try:
        roots = {servers.sites[site.path].url: site.path for site in sites}
        code, stderr = run_crawl("practices", work, {"start_urls": list(roots)})
        if code != 0:
            raise RuntimeError(f"crawl failed ({code}):\n{stderr[-3000:]}")
    finally:
        servers.close()
    store = Store(work / "store.sqlite3")
    try:
        listings = compute_listings(store).listings
    finally:
        store.close()
    by_site: dict[str, list[Found]] = {path: [] for path in roots.values()}
    for listing in listings:
        path = roots.get(listing.website or "")
        if path is None:
            continue
        evidence = listing.microneedling_evidence or {}
        by_site[path].append(
            Found(
                name=listing.name,
                offers=listing.offers_microneedling,
                specialties=tuple(listing.specialties),
                quote=evidence.get("quote"),
                quote_url=evidence.get("url"),
            )
        )
    return by_site


def evaluate(batch_ids: list[str], work: Path) -> dict[str, Score]:
    """Crawl every site of these batches in one run; a Score per batch."""
    sites = [site for batch in batch_ids for site in load_batch(batch)]
    found = crawl_and_list(sites, work)
    scores = {batch: Score() for batch in batch_ids}
    for site in sites:
        scores[site.batch].add(score_site(site, found[site.path]))
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the crawl on the generalisation set.")
    parser.add_argument("batch", nargs="*", help="batch ids (default: all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every error")
    args = parser.parse_args(argv)
    wanted = args.batch or batches()
    with tempfile.TemporaryDirectory() as work:
        scores = evaluate(wanted, Path(work))
    total = Score()
    for batch, score in scores.items():
        total.add(score)
        print(f"batch {batch}: {score.summary()}")
        if args.verbose:
            for error in score.errors:
                print("   ", error)
    if len(scores) > 1:
        print(f"all: {total.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
