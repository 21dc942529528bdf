import pytest

from crawler.spiders.practice_site import (
    SiteState,
    link_priority,
    page_key,
    practice_name_from_title,
    read_page,
    read_seeds,
    same_site,
    site_items,
    strongest_evidence,
)
from tests.crawler.conftest import FIXTURES
from tests.crawler.crawl_helpers import crawl_runs, run_crawl, stored_observations
from tests.crawler.siteserver import SiteServers

SEEN = "2026-11-25T15:00:00Z"
LAKESIDE = FIXTURES / "sites" / "lakeside"


def _read_lakeside(root="http://127.0.1.2:8000/"):
    state = SiteState(root=root)
    for path in ("index.html", "team/index.html", "team/ana-ruiz.html", "team/ben-okafor.html",
                 "services/microneedling.html", "contact.html"):  # fmt: skip
        read_page(state, (LAKESIDE / path).read_text(), root + path, SEEN)
    return state


def test_a_site_becomes_one_practice_and_one_item_per_physician():
    items = site_items(_read_lakeside(), SEEN)
    kinds = [item.kind for item in items]
    assert kinds.count("practice") == 1
    assert sorted(i.name for i in items if i.kind == "practitioner") == ["Ana Ruiz", "Ben Okafor"]


def test_non_physicians_are_practice_staff():
    practice = site_items(_read_lakeside(), SEEN)[0]
    assert {(s["name"], s["role"]) for s in practice.staff} == {
        ("Jordan Lee", "physician_assistant"),
        ("Kim Park", "aesthetician"),
    }


def test_a_doctor_page_overrides_practice_evidence():
    people = {i.name: i for i in site_items(_read_lakeside(), SEEN) if i.kind == "practitioner"}
    ana, ben = people["Ana Ruiz"], people["Ben Okafor"]
    assert [(e["term"], e["negated"], e["scope"], e["price"]) for e in ana.evidence] == [
        ("SkinPen", False, "practitioner", "from $300 per session")
    ]
    assert [(e["negated"], e["scope"]) for e in ben.evidence] == [(True, "practitioner")]
    assert ana.profile_url.endswith("team/ana-ruiz.html")
    assert ana.credentials == ["MD", "FAAD"] and ana.specialties == ["dermatology"]
    assert ana.npi == "1234567893"  # stated on her own page
    assert ben.npi is None  # the team page's NPI could be anyone's
    assert ben.specialties == ["mohs-surgery", "dermatology"]


def test_practice_evidence_location_and_keys_follow_the_contract():
    practice, *people = site_items(_read_lakeside(), SEEN)
    assert practice.source_key == "http://127.0.1.2:8000/"
    assert {e["scope"] for e in practice.evidence} == {"practice"}
    assert any(e["price"] == "starts at $275" for e in practice.evidence)
    assert practice.locations[0]["postal_code"] == "78701"
    assert practice.locations[0]["phone"] == "+15125550123"
    assert {p.source_key for p in people} == {
        "http://127.0.1.2:8000/#ana ruiz",
        "http://127.0.1.2:8000/#ben okafor",
    }


def test_a_physician_without_a_page_inherits_practice_evidence():
    state = SiteState(root="http://127.0.1.4:8000/")
    read_page(state, (FIXTURES / "sites" / "harbor" / "index.html").read_text(), state.root, SEEN)
    [practice, cara] = site_items(state, SEEN)
    assert cara.name == "Cara Holt" and cara.specialties == ["plastic-surgery"]
    assert [(e["negated"], e["scope"]) for e in cara.evidence] == [(True, "practice")]


def test_helpers_for_links_titles_and_seeds(tmp_path):
    assert link_priority("http://a.test/services/microneedling.html") > link_priority(
        "http://a.test/team/"
    )
    assert link_priority("http://a.test/team/") > link_priority("http://a.test/blog/post")
    assert same_site("http://a.test:8000/x", "http://a.test:8000/")
    assert not same_site("http://a.test:8001/x", "http://a.test:8000/")
    assert practice_name_from_title("Home | Lakeside Dermatology") == "Lakeside Dermatology"
    assert (
        practice_name_from_title("Glow Skin Studio - Med Spa", "Glow Skin Studio")
        == "Glow Skin Studio"
    )
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# demo\nhttp://a.test/\n\nhttp://b.test/  # second\n")
    assert read_seeds(seeds) == ["http://a.test/", "http://b.test/"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One real crawl of the three fixture sites, each on its own loopback address."""
    servers = SiteServers(FIXTURES / "sites", ["lakeside", "glow", "harbor"])
    data_dir = tmp_path_factory.mktemp("practices")
    try:
        start_urls = [site.url for site in servers.sites.values()]
        code, stderr = run_crawl("practices", data_dir, {"start_urls": start_urls, "seeds": None})
    finally:
        servers.close()
    assert code == 0, stderr[-3000:]
    return servers.sites, data_dir


@pytest.mark.slow
def test_crawl_obeys_robots_txt(crawled):
    sites, _ = crawled
    lakeside = sites["lakeside"].requests
    assert lakeside[0] == "/robots.txt"
    assert "/team/ana-ruiz.html" in lakeside
    assert not any(path.startswith("/private/") for path in lakeside)


@pytest.mark.slow
def test_crawl_stays_on_site_and_skips_traps_and_files(crawled):
    sites, _ = crawled
    lakeside = sites["lakeside"].requests
    assert not any("calendar" in p or "sort=" in p or p.endswith(".pdf") for p in lakeside)
    assert len(lakeside) == len(set(lakeside))  # each page once
    assert all(
        agent.startswith("skinmapbot/0.1") for site in sites.values() for agent in site.user_agents
    )


@pytest.mark.slow
def test_crawl_stores_practices_and_physicians_only(crawled):
    sites, data_dir = crawled
    observations = stored_observations(data_dir)
    practices = {o.payload["name"] for o in observations if o.kind == "practice"}
    physicians = {o.payload["name"] for o in observations if o.kind == "practitioner"}
    assert practices == {"Lakeside Dermatology", "Glow Skin Studio", "Harbor Plastic Surgery"}
    assert physicians == {
        "Ana Ruiz",
        "Ben Okafor",
        "Cara Holt",
    }  # the med spa's RN and LE are staff
    glow = next(o for o in observations if o.payload["name"] == "Glow Skin Studio")
    assert glow.payload["evidence"] and {s["role"] for s in glow.payload["staff"]} == {
        "nurse",
        "aesthetician",
    }
    [run] = crawl_runs(data_dir)
    assert run.status == "finished" and run.stats["skinmap/sites_emitted"] == 3
    # Each site was emitted when its last request ended (a 404 and robots refusals included),
    # never before: no page arrived after its site was emitted.
    assert "/old-specials.html" in sites["glow"].requests
    assert "skinmap/page_after_emit" not in run.stats
    assert "skinmap/sites_emitted_at_idle" not in run.stats
    assert run.stats["robotstxt/forbidden"] == 1
    log = (data_dir / "crawls" / f"{run.id}.log").read_text()
    assert log.count("Spider closed (finished)") == 1
    # The cookie middleware is the only tldextract user (it would fetch the suffix list online).
    assert (
        "CookiesMiddleware" not in log and "RemoteControl" not in log and "TelnetConsole" not in log
    )


@pytest.mark.slow
def test_a_recrawl_adds_no_duplicates(tmp_path):
    servers = SiteServers(FIXTURES / "sites", ["harbor"])
    try:
        args = {"start_urls": [servers.sites["harbor"].url], "seeds": None}
        assert run_crawl("practices", tmp_path, args)[0] == 0
        first = stored_observations(tmp_path)
        assert run_crawl("practices", tmp_path, args)[0] == 0
        second = stored_observations(tmp_path)
    finally:
        servers.close()
    assert len(first) == len(second) == 2
    assert len(crawl_runs(tmp_path)) == 2


@pytest.mark.slow
def test_the_page_cap_limits_pages_per_site(tmp_path):
    servers = SiteServers(FIXTURES / "sites", ["lakeside"])
    try:
        args = {"start_urls": [servers.sites["lakeside"].url], "seeds": None}
        code, stderr = run_crawl("practices", tmp_path, args, {"SKINMAP_MAX_PAGES_PER_SITE": "2"})
    finally:
        servers.close()
    assert code == 0, stderr[-2000:]
    pages = [p for p in servers.sites["lakeside"].requests if p != "/robots.txt"]
    assert len(pages) == 2
    [run] = crawl_runs(tmp_path)
    assert run.stats["skinmap/page_cap_dropped"] >= 1


@pytest.mark.slow
def test_robots_txt_holds_for_every_request_waiting_on_it(tmp_path):
    # Several start URLs on one host all wait for the same robots.txt; Scrapy 2.19 alone lets the
    # third and later waiters through. The disallowed URL is deliberately not first.
    servers = SiteServers(FIXTURES / "sites", ["lakeside"])
    try:
        root = servers.sites["lakeside"].url
        paths = ["", "team/", "contact.html", "services/microneedling.html", "private/secret.html"]
        args = {"start_urls": [root + p for p in paths], "seeds": None}
        code, stderr = run_crawl("practices", tmp_path, args)
    finally:
        servers.close()
    assert code == 0, stderr[-2000:]
    assert not any(p.startswith("/private/") for p in servers.sites["lakeside"].requests)
    assert "Hidden Person" not in {o.payload["name"] for o in stored_observations(tmp_path)}


def test_index_html_is_the_same_page_as_its_directory():
    assert page_key("http://a.test/index.html") == page_key("http://a.test/") == "http://a.test/"
    assert page_key("http://a.test/team/index.htm") == "http://a.test/team/"
    assert page_key("http://a.test/index.html?page=2") == "http://a.test/index.html?page=2"


def test_bare_labels_give_way_to_sentences_but_negations_stay():
    def entry(quote, negated=False):
        return {"quote": quote, "negated": negated}

    kept = strongest_evidence(
        [entry("SkinPen microneedling"), entry("We offer SkinPen microneedling daily."),
         entry("Dermapen (retired)", negated=True)]
    )  # fmt: skip
    assert [e["quote"] for e in kept] == [
        "We offer SkinPen microneedling daily.",
        "Dermapen (retired)",
    ]
    only_labels = [entry("Microneedling")]
    assert strongest_evidence(only_labels) == only_labels


def test_one_site_crawl_is_one_sighting_of_all_its_evidence():
    state = _read_lakeside()
    state.evidence[0]["seen_at"] = "2026-11-25T14:00:00Z"
    practice, *people = site_items(state, "2026-11-25T16:00:00Z")
    stamps = {e["seen_at"] for item in [practice, *people] for e in item.evidence}
    assert stamps == {"2026-11-25T16:00:00Z"}
    assert state.evidence[0]["seen_at"] == "2026-11-25T14:00:00Z"  # the state is not changed
