"""The patient pages over a real index: results, evidence quotes, tel: links, safe links, JSON-LD."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from tests.search_web.sample import ANA_NPI, CARA_QUOTE, HOSTILE_WEBSITE


class _PageParts(HTMLParser):
    """Collects what the tests look at: links, labels, form fields, JSON-LD blocks, script tags."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.label_for: set[str] = set()
        self.field_ids: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.jsonld: list[str] = []
        self.blockquotes = 0
        self.style_attrs = 0
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attrs += 1
        if tag == "a" and attributes.get("href") is not None:
            self.hrefs.append(attributes["href"])
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"])
        if tag in ("input", "select") and attributes.get("type") != "hidden":
            self.field_ids.append(attributes.get("id") or "")
        if tag == "script":
            self.scripts.append(attributes)
            self._in_jsonld = attributes.get("type") == "application/ld+json"
        if tag == "blockquote":
            self.blockquotes += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld.append(data)


def parts(html: str) -> _PageParts:
    parser = _PageParts()
    parser.feed(html)
    return parser


def test_the_home_page_is_a_labelled_search_form_with_microneedling_ticked(client):
    response = client.get("/")
    assert response.status_code == 200
    page = parts(response.text)
    assert '<html lang="en">' in response.text
    assert 'href="#main"' in response.text and 'id="main"' in response.text
    assert page.field_ids and all(field_id in page.label_for for field_id in page.field_ids)
    assert re.search(r'name="procedure"[^>]*value="microneedling"[^>]*checked', response.text)
    for miles in (5, 10, 25, 50, 100):
        assert f'<option value="{miles}"' in response.text
    assert "/guide/microneedling" in page.hrefs


def test_results_show_distance_quote_source_date_phone_and_npi(client):
    response = client.get("/search", params={"near": "78701"})
    assert response.status_code == 200
    html = response.text
    page = parts(html)
    assert "Ana Ruiz, MD" in html
    assert "under 0.1 miles" in html or re.search(r"\d+\.\d miles", html)
    # The quote is escaped, not interpreted: its angle brackets and ampersand survive as text.
    assert "&lt;collagen induction&gt; for acne scars &amp; texture." in html
    assert page.blockquotes == 1
    assert "http://lakeside-derm.test/services/microneedling.html" in page.hrefs
    assert re.search(r"seen [A-Z][a-z]{2} \d{1,2}, \d{4}", html)
    assert "tel:+15125550101" in page.hrefs
    assert f"NPI {ANA_NPI}" in html
    # Only the positive quote is listed under the default microneedling filter.
    assert "Ben Okafor" not in html


def test_showing_everyone_marks_unknown_and_negated_offers_honestly(client):
    html = client.get("/search", params={"near": "78701", "procedure": "any"}).text
    assert "Ben Okafor" in html and "Cara Lin" in html
    assert "2.4 miles" in html
    assert "We found no mention of microneedling on their pages" in html
    assert "do <strong>not</strong> offer microneedling" in html


def test_an_unticked_checkbox_on_the_form_shows_everyone(client):
    html = client.get("/search", params={"near": "78701", "form": "1"}).text
    assert "Ben Okafor" in html


def test_a_javascript_website_never_becomes_a_link(client, listing_ids):
    for url in ("/search?near=78701&procedure=any", f"/practitioners/{listing_ids['Ben Okafor']}"):
        html = client.get(url).text
        hrefs = parts(html).hrefs
        assert not [
            href for href in hrefs if not href.startswith(("/", "#", "http:", "https:", "tel:"))
        ]
        assert HOSTILE_WEBSITE not in hrefs
        assert "javascript:" not in html.lower()


def test_zero_results_offer_a_wider_radius_everyone_and_the_guide(client):
    html = client.get(
        "/search", params={"near": "77002", "radius": "5", "specialty": "dermatology"}
    ).text
    hrefs = parts(html).hrefs
    assert any("radius=10" in href for href in hrefs)
    assert any("procedure=any" in href for href in hrefs)
    assert any("specialty" not in href and href.startswith("/search?") for href in hrefs)
    assert "/guide/microneedling" in hrefs
    assert "Show all nearby dermatologists and surgeons — may offer, call to ask" in html


def test_a_misspelt_query_with_no_results_offers_did_you_mean(client):
    html = client.get("/search", params={"q": "Okafr", "procedure": "any"}).text
    assert "Did you mean" in html


def test_pagination_links_keep_every_filter(client):
    params = {"near": "78701", "radius": "200", "procedure": "any", "per_page": "2", "page": "2"}
    response = client.get("/search", params=params)
    assert response.status_code == 200
    nav = response.text[response.text.index('<nav class="pagination"') :]
    links = [href for href in parts(nav).hrefs if "page=" in href or "per_page=2" in href]
    assert links and all(
        "radius=200" in h and "procedure=any" in h and "per_page=2" in h for h in links
    )
    assert 'rel="prev"' in nav and 'aria-current="page">2<' in nav


def test_a_page_past_the_end_links_back_to_the_results(client):
    response = client.get("/search", params={"near": "78701", "procedure": "any", "page": "9"})
    assert response.status_code == 200
    assert "past the end" in response.text
    assert "/search?near=78701&amp;radius=25&amp;procedure=any" in response.text


def test_a_bad_radius_re_shows_the_form_with_a_400_and_the_patients_words(client):
    response = client.get("/search", params={"near": "Austin, TX", "radius": "lots"})
    assert response.status_code == 400
    assert "radius must be a number of miles between 1 and 200" in response.text
    assert 'value="Austin, TX"' in response.text


def test_an_unknown_place_is_a_400_page_not_a_traceback(client):
    response = client.get("/search", params={"near": "Atlantis, ZZ"})
    assert response.status_code == 400
    assert "Traceback" not in response.text and "Atlantis" in response.text


def test_the_profile_shows_locations_npi_status_evidence_and_sources(client, listing_ids):
    response = client.get(f"/practitioners/{listing_ids['Ana Ruiz']}")
    assert response.status_code == 200
    html = response.text
    page = parts(html)
    assert "<h1" in html and "Ana Ruiz" in html
    assert "tel:+15125550101" in page.hrefs
    assert re.search(r"active in NPPES as of [A-Z][a-z]{2} \d{1,2}, \d{4}", html)
    assert "http://lakeside-derm.test/" in page.hrefs
    assert "NPI Registry (NPPES)" in html and "last seen" in html
    assert "Last verified" in html


def test_a_negated_profile_says_they_do_not_offer_it(client, listing_ids):
    html = client.get(f"/practitioners/{listing_ids['Cara Lin']}").text
    assert "do <strong>not</strong> offer microneedling" in html
    assert "Offers microneedling, in their own words" not in html
    # The index keeps no quote for a negated-only listing today; if it starts to, it must be the page's.
    if "<blockquote" in html:
        assert CARA_QUOTE in html


def test_the_profile_json_ld_is_a_parseable_physician_with_escaped_text(client, listing_ids):
    html = client.get(f"/practitioners/{listing_ids['Ana Ruiz']}").text
    page = parts(html)
    assert len(page.jsonld) == 1
    data = json.loads(page.jsonld[0])
    assert data["@type"] == "Physician" and data["name"] == "Ana Ruiz, MD"
    assert data["identifier"]["value"] == ANA_NPI
    assert data["availableService"]["name"].startswith("Microneedling")
    # Every script is either JSON-LD data or an external file: nothing inline to execute.
    assert all(s.get("type") == "application/ld+json" or s.get("src") for s in page.scripts)
    assert "</script" not in page.jsonld[0]


def test_no_page_uses_inline_styles(client, listing_ids):
    for url in (
        "/",
        "/search?near=78701",
        f"/practitioners/{listing_ids['Ana Ruiz']}",
        "/guide/microneedling",
    ):
        html = client.get(url).text
        assert parts(html).style_attrs == 0 and "<style" not in html


@pytest.mark.parametrize("listing_id", ["p-0000000000", "nobody"])
def test_an_unknown_profile_is_an_html_404(client, listing_id):
    response = client.get(f"/practitioners/{listing_id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Start a new search" in response.text


def test_the_guide_covers_scars_skin_types_aftercare_cost_and_questions_and_links_to_search(client):
    response = client.get("/guide/microneedling")
    assert response.status_code == 200
    text = response.text
    for phrase in (
        "collagen induction therapy",
        "atrophic",
        "darker skin",
        "vitamin C",
        "Sun sensitivity",
        "eczema",
        "breakout",
        "not cover",
        "results photos",
        "not medical advice",
    ):
        assert phrase.lower() in text.lower(), phrase
    assert 'action="/search"' in text


@pytest.mark.parametrize(
    "q",
    [
        "*:* OR name:[a TO z]",
        "a" * 201,
        "микро 🌿 nadel",
        "nul\x00byte",
        "<script>alert(1)</script>",
    ],
)
def test_hostile_page_queries_render_or_are_refused_never_500(client, q):
    response = client.get("/search", params={"q": q, "near": "78701"})
    assert response.status_code in (200, 400)
    assert "<script>alert(1)</script>" not in response.text


def test_healthz_names_the_live_generation(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["index"].startswith("gen-")
