"""Extraction quality on a hand-labelled set of fictional practice pages: precision and recall goals.

Each page in labelled/pages/ is read by the practice spider's own pure page reader
(`crawler.spiders.practice_site.read_page`: people from text and schema.org, microneedling evidence),
and the result is scored against labelled/labels.json. The goals come from the issue: precision
>= 0.95 and recall >= 0.90, for people and for evidence. Run with `-s` to see the scores.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import pytest

from crawler.extract.scope import DOES_NOT_OFFER, OFFERS, practice_verdict, sort_statements
from crawler.spiders.practice_site import SiteState, read_page

LABELLED = Path(__file__).resolve().parent / "labelled"
PAGES = LABELLED / "pages"
LABELS = json.loads((LABELLED / "labels.json").read_text(encoding="utf-8"))
SEEN_AT = "2026-11-25T15:00:00Z"

PRECISION_GOAL = 0.95
RECALL_GOAL = 0.90
MIN_PAGES = 32
_NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


# ---------------------------------------------------------------- what one page yields


@dataclass(frozen=True)
class FoundPerson:
    name: str
    credentials: tuple[str, ...]
    is_physician: bool


@dataclass
class PageResult:
    people: list[FoundPerson] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)


def extract_page(html: str, url: str) -> PageResult:
    """Everything the spider learns from one page, as if the page were a whole site."""
    state = SiteState(root=LABELS["base_url"])
    read_page(state, html, url, SEEN_AT)
    people = [
        FoundPerson(p.name, tuple(p.credentials), bool(p.is_physician))
        for p in state.people.values()
    ]
    return PageResult(people=people, evidence=list(state.evidence))


# ---------------------------------------------------------------- scoring (pure)


def person_key(name: str) -> str:
    """Lower-case ASCII letters and single spaces; accents folded, dots and suffixes dropped."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z\s-]", "", folded).replace("-", " ").split()
    return " ".join(w for w in words if w not in _NAME_SUFFIXES)


def offers_verdict(evidence: list[dict]) -> bool | None:
    """The page's verdict by the site scope model (crawler/extract/scope.py), the page read as a
    whole practice: True when it offers, False when it refuses, None when it only mentions the
    procedure or says nothing."""
    statements = sort_statements(evidence, [])
    status = practice_verdict(statements).status
    return {OFFERS: True, DOES_NOT_OFFER: False}.get(status)


def deciding(evidence: list[dict]) -> list[dict]:
    """The entries the verdict rests on (what a patient would be shown)."""
    return practice_verdict(sort_statements(evidence, [])).evidence


def price_amounts(price: str | None) -> tuple[str, ...]:
    """The dollar amounts in a price text ("from $1,200 per session" -> ("1200",))."""
    return tuple(a.replace(",", "") for a in re.findall(r"\$\s?(\d[\d,]*)", price or ""))


@dataclass
class Score:
    true_positives: int = 0
    predicted: int = 0
    expected: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0

    def summary(self, what: str) -> str:
        return (
            f"{what}: precision {self.precision:.3f} ({self.true_positives}/{self.predicted}), "
            f"recall {self.recall:.3f} ({self.true_positives}/{self.expected})"
        )


def score_people(page: str, label: dict, found: list[FoundPerson], score: Score) -> None:
    """A person counts when the name matches and physician/non-physician is right."""
    expected = {person_key(p["name"]): True for p in label["physicians"]}
    expected.update({person_key(p["name"]): False for p in label["non_physicians"]})
    predicted = {person_key(p.name): p.is_physician for p in found}
    score.expected += len(expected)
    score.predicted += len(predicted)
    for key, is_physician in predicted.items():
        if expected.get(key) is is_physician:
            score.true_positives += 1
        else:
            kind = "physician" if is_physician else "non-physician"
            score.errors.append(f"{page}: false {kind} {key!r}")
    for key, is_physician in expected.items():
        if predicted.get(key) is not is_physician:
            score.errors.append(
                f"{page}: missed {'physician' if is_physician else 'staff'} {key!r}"
            )


def score_credentials(page: str, label: dict, found: list[FoundPerson], score: Score) -> None:
    """Among labelled physicians that were found, are their credentials exactly right?"""
    predicted = {person_key(p.name): set(p.credentials) for p in found if p.is_physician}
    for physician in label["physicians"]:
        key = person_key(physician["name"])
        if key not in predicted:
            continue
        score.expected += 1
        score.predicted += 1
        if predicted[key] == set(physician["credentials"]):
            score.true_positives += 1
        else:
            score.errors.append(f"{page}: {key!r} credentials {sorted(predicted[key])}")


def score_evidence(page: str, label: dict, evidence: list[dict], score: Score) -> None:
    """A page's verdict counts when it matches the label and a quote of that polarity proves it."""
    want = label["offers"]
    got = offers_verdict(evidence)
    if want is not None:
        score.expected += 1
    if got is not None:
        score.predicted += 1
    if got is None and want is None:
        return
    polarity = [e for e in deciding(evidence) if e["negated"] is (got is False)]
    proven = any(
        label["quote_contains"] and label["quote_contains"] in e["quote"] for e in polarity
    )
    if got == want and proven:
        score.true_positives += 1
        return
    quotes = [("-" if e["negated"] else "+") + e["quote"][:80] for e in evidence]
    score.errors.append(f"{page}: labelled {want}, extracted {got} from {quotes}")


def score_prices(page: str, label: dict, evidence: list[dict], score: Score) -> None:
    """Prices shown with positive evidence must be the page's price; labelled prices should be found."""
    want = price_amounts(label.get("price"))
    shown = {
        price_amounts(e["price"]) for e in deciding(evidence) if e["price"] and not e["negated"]
    }
    if want:
        score.expected += 1
    score.predicted += len(shown)
    if want and want in shown:
        score.true_positives += 1
    wrong = shown - {want}
    if wrong or (want and want not in shown):
        score.errors.append(f"{page}: labelled price {want}, shown {sorted(shown)}")


def visible_text_variants(html: str) -> tuple[str, str]:
    """The page's text, whitespace-collapsed, with inline tags joined by nothing and by a space."""
    root = lxml.html.fromstring(html)
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    tight, spaced = ("".join(root.itertext()), " ".join(root.itertext()))
    return " ".join(tight.split()), " ".join(spaced.split())


# ---------------------------------------------------------------- the labelled run


@dataclass
class Evaluation:
    people: Score
    credentials: Score
    evidence: Score
    prices: Score
    unquoted: list[str]


def _page_url(page: str) -> str:
    return LABELS["base_url"] + page


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    result = Evaluation(Score(), Score(), Score(), Score(), [])
    for page, label in sorted(LABELS["pages"].items()):
        html = (PAGES / page).read_text(encoding="utf-8")
        found = extract_page(html, _page_url(page))
        score_people(page, label, found.people, result.people)
        score_credentials(page, label, found.people, result.credentials)
        score_evidence(page, label["evidence"], found.evidence, result.evidence)
        score_prices(page, label["evidence"], found.evidence, result.prices)
        texts = visible_text_variants(html)
        for entry in found.evidence:
            if entry.get("source") == "markup":  # structured data: verbatim in the page source
                texts = (*texts, " ".join(html.split()))
            if not any(entry["quote"] in text for text in texts):
                result.unquoted.append(f"{page}: {entry['quote']!r}")
    print()
    for what in ("people", "credentials", "evidence", "prices"):
        score: Score = getattr(result, what)
        print(score.summary(what))
        for error in score.errors:
            print("   ", error)
    return result


def test_the_labelled_set_has_enough_pages_and_every_page_is_labelled():
    pages = sorted(p.name for p in PAGES.glob("*.html"))
    assert len(pages) >= MIN_PAGES
    assert pages == sorted(LABELS["pages"])
    for label in LABELS["pages"].values():
        assert label["evidence"]["offers"] in (True, False, None)
        # A claim about offering needs a quote to prove it; a page that says nothing has none.
        assert (label["evidence"]["quote_contains"] is None) == (
            label["evidence"]["offers"] is None
        )


def test_people_extraction_meets_the_precision_and_recall_goals(evaluation):
    score = evaluation.people
    message = score.summary("people") + "\n" + "\n".join(score.errors)
    assert score.precision >= PRECISION_GOAL, message
    assert score.recall >= RECALL_GOAL, message


def test_physician_credentials_are_extracted_exactly(evaluation):
    score = evaluation.credentials
    assert score.expected >= 20  # the check only means something when most physicians were found
    assert score.precision >= RECALL_GOAL, (
        score.summary("credentials") + "\n" + "\n".join(score.errors)
    )


def test_evidence_extraction_meets_the_precision_and_recall_goals(evaluation):
    score = evaluation.evidence
    message = score.summary("evidence") + "\n" + "\n".join(score.errors)
    assert score.precision >= PRECISION_GOAL, message
    assert score.recall >= RECALL_GOAL, message


def test_a_price_shown_next_to_evidence_is_the_price_on_the_page(evaluation):
    score = evaluation.prices
    assert score.precision >= PRECISION_GOAL, (
        score.summary("prices") + "\n" + "\n".join(score.errors)
    )


def test_every_evidence_quote_is_verbatim_page_text(evaluation):
    assert evaluation.unquoted == []


# ---------------------------------------------------------------- the scorer itself


def test_a_person_with_the_wrong_role_counts_as_a_false_positive_and_a_miss():
    score = Score()
    label = {"physicians": [{"name": "Ana Ruiz", "credentials": ["MD"]}], "non_physicians": []}
    score_people("p", label, [FoundPerson("Ana Ruiz", (), False)], score)
    assert (score.true_positives, score.predicted, score.expected) == (0, 1, 1)
    assert score.precision == 0.0 and score.recall == 0.0


def test_names_match_across_accents_dots_and_suffixes():
    assert person_key("José Ramírez") == person_key("Jose Ramirez")
    assert person_key("Robert J. Alvarez Jr.") == person_key("Robert J Alvarez")
    assert person_key("Sarah Kline-Morales") == "sarah kline morales"
    assert person_key("Ana Ruiz") != person_key("Ana Ruiz-Lopez")


def test_a_negated_quote_does_not_prove_that_a_page_offers_the_procedure():
    score = Score()
    label = {"offers": True, "quote_contains": "microneedling"}
    negated = [{"quote": "We no longer offer microneedling.", "negated": True, "price": None}]
    score_evidence("p", label, negated, score)
    assert (score.true_positives, score.predicted, score.expected) == (0, 1, 1)


def test_a_right_verdict_with_the_wrong_quote_is_not_a_hit():
    score = Score()
    label = {"offers": True, "quote_contains": "SkinPen microneedling"}
    positive = [{"quote": "Book a facial today.", "negated": False, "price": None}]
    score_evidence("p", label, positive, score)
    assert score.true_positives == 0


def test_evidence_on_a_page_that_says_nothing_costs_precision_only():
    score = Score()
    label = {"offers": None, "quote_contains": None}
    score_evidence("p", label, [{"quote": "SkinPen", "negated": False, "price": None}], score)
    assert (score.true_positives, score.predicted, score.expected) == (0, 1, 0)


def test_price_amounts_ignore_wording_and_thousands_separators():
    assert price_amounts("from $1,200 per session") == ("1200",)
    assert price_amounts("$300") == price_amounts("starting at $300")
    assert price_amounts(None) == ()
