from crawler.extract.evidence import evidence_from_html, find_price, is_negated, split_sentences
from tests.crawler.conftest import fixture_page

URL = "http://127.0.1.9:8000/services.html"
SEEN = "2026-11-25T15:00:00Z"


def _by_quote():
    return {
        e["quote"]: e for e in evidence_from_html(fixture_page("pages", "services.html"), URL, SEEN)
    }


def test_each_mention_is_quoted_verbatim_with_its_term_and_page():
    evidence = _by_quote()
    entry = evidence["Dr. Ellis offers collagen induction therapy for acne scars."]
    assert entry["term"] == "collagen induction therapy"
    assert entry["procedure"] == "microneedling"
    # A sentence naming its doctor is that doctor's statement, not the whole practice's.
    assert (entry["url"], entry["seen_at"], entry["scope"]) == (URL, SEEN, "practitioner")
    assert entry["people"] == ["Dr. Ellis"]
    assert (entry["negated"], entry["statement"], entry["strength"]) == (False, "offer", "explicit")


def test_navigation_asides_and_footers_are_never_quoted():
    quotes = " ".join(_by_quote())
    assert "specials" not in quotes and "gift cards" not in quotes
    assert all(q != "Microneedling" for q in _by_quote())


def test_sentences_without_a_term_are_not_evidence():
    assert not any("chemical peels" in q for q in _by_quote())


def test_negated_mentions_are_kept_as_negative_evidence():
    evidence = _by_quote()
    assert evidence["Microneedling is not available at our Round Rock office."]["negated"] is True
    assert evidence["Micro-needling: we don't offer it anymore."]["negated"] is True


def test_a_positive_clause_outweighs_a_negated_one_in_the_same_sentence():
    entry = _by_quote()["We no longer offer Dermapen treatments; SkinPen has replaced it."]
    assert entry["negated"] is False
    assert entry["term"] == "SkinPen"


def test_a_restriction_is_not_a_refusal():
    assert (
        _by_quote()["We do not perform microneedling on patients with active acne."]["negated"]
        is False
    )


def test_prices_in_the_same_or_next_sentence_or_table_cell():
    evidence = _by_quote()
    assert (
        evidence["Dr. Ellis offers collagen induction therapy for acne scars."]["price"]
        == "start at $300"
    )
    assert evidence["RF microneedling (Morpheus8)"]["price"] == "$850 per session"
    assert evidence["Microneedling is not available at our Round Rock office."]["price"] is None


def test_longest_term_wins_and_brand_terms_are_found():
    evidence = _by_quote()
    assert evidence["RF microneedling (Morpheus8)"]["term"] == "RF microneedling"
    assert (
        evidence["Percutaneous collagen induction with PRP"]["term"]
        == "percutaneous collagen induction"
    )


def test_negation_is_clause_level():
    sentence = "We offer microneedling, but we discontinued PRP facials."
    start = sentence.index("microneedling")
    assert not is_negated(sentence, start, start + len("microneedling"))
    sentence = "Microneedling was discontinued in 2024."
    assert is_negated(sentence, 0, len("Microneedling"))


def test_abbreviations_do_not_split_sentences():
    assert split_sentences("Dr. Ruiz offers SkinPen. It works.") == [
        "Dr. Ruiz offers SkinPen.",
        "It works.",
    ]


def test_price_formats():
    assert find_price("Microneedling from $300.") == "from $300"
    assert find_price("$250 per session") == "$250 per session"
    assert find_price("$1,200 - $1,500 per treatment") == "$1,200 - $1,500 per treatment"
    assert find_price("no price here") is None


def test_an_empty_page_has_no_evidence():
    assert evidence_from_html("", URL, SEEN) == []


def test_questions_are_not_claims_but_their_answers_are():
    html = """<main><h2>Do you offer microneedling?</h2>
      <p>Yes, we perform SkinPen microneedling every weekday.</p>
      <h2>How much does it cost?</h2><p>Each session is $275.</p></main>"""
    [entry] = evidence_from_html(html, URL, SEEN)
    assert entry["quote"] == "Yes, we perform SkinPen microneedling every weekday."
    assert entry["price"] == "$275"  # the FAQ answer two blocks down


def test_a_price_after_another_mention_belongs_to_that_mention():
    html = """<main><p>We offer microneedling.</p><p>Morpheus8 is also available.</p>
      <p>Morpheus8 costs $900.</p></main>"""
    first = evidence_from_html(html, URL, SEEN)[0]
    assert first["quote"] == "We offer microneedling." and first["price"] is None


def test_contractions_and_announcements_of_the_future_are_negations():
    html = """<main><p>Microneedling isn't offered at this location.</p>
      <p>Coming soon: SkinPen microneedling, launching next spring.</p>
      <p>Microneedling: no longer painful, thanks to numbing cream.</p></main>"""
    negated = {e["quote"]: e["negated"] for e in evidence_from_html(html, URL, SEEN)}
    assert negated == {
        "Microneedling isn't offered at this location.": True,
        "Coming soon: SkinPen microneedling, launching next spring.": True,
        "Microneedling: no longer painful, thanks to numbing cream.": False,
    }


def test_a_restriction_after_while_is_still_a_restriction():
    html = "<main><p>We do not offer microneedling while you are pregnant.</p></main>"
    [entry] = evidence_from_html(html, URL, SEEN)
    assert entry["negated"] is False


def test_the_plainest_offer_ranks_first_and_negations_last():
    from crawler.extract.evidence import rank_evidence

    def entry(quote, url=URL, price=None, negated=False):
        return {"quote": quote, "url": url, "price": price, "negated": negated}

    ranked = rank_evidence(
        [
            entry("Microneedling is not available in Round Rock.", negated=True),
            entry("New: read about SkinPen Microneedling."),
            entry("Renee is a nurse and performs Morpheus8 treatments."),
            entry("We offer SkinPen microneedling at both offices.", url="http://a.test/microneedling.html",
                  price="from $300"),
        ]
    )  # fmt: skip
    assert [e["quote"][:8] for e in ranked] == ["We offer", "Renee is", "New: rea", "Micronee"]
