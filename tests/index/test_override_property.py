"""Property: for any sequence of crawls and admin edits, the public view shows every standing override.

Hypothesis draws a sequence of steps — (re-)recording observations with changed fields, adding field
overrides the way the admin back office does, hiding and unhiding, retiring an override, rebuilding —
and runs it against a real Store and `index.build.rebuild` in a temporary directory. After every
rebuild a fresh SearchService must show, for each person, the newest active override of each field,
and must not show a hidden person at all.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.build import rebuild
from index.records import Observation, observation_key
from index.search import SearchRequest, SearchService
from index.store import Store
from tests.index.conftest import evidence, location

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FIRST_FETCH = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    """A fictional practitioner; every name variant is one the resolver must keep together."""

    label: str
    npi: str
    names: tuple[str, ...]
    phone: str
    website: str


PEOPLE = (
    Person(
        "ana", "1234567893", ("Ana Ruiz", "Ana Ruiz"), "+15125550101", "https://ruiz-derm.test/"
    ),
    Person(
        "bob",
        "1245319599",
        ("Robert Stone", "Bob Stone"),
        "+15125550102",
        "https://stone-skin.test/",
    ),
    # Kate starts as a practice-site profile only; when the registry record arrives her cluster id
    # changes from an observation anchor to her NPI, and her overrides must follow her.
    Person(
        "kate",
        "1679576722",
        ("Katherine Lee", "Kate Lee"),
        "+15125550103",
        "https://lee-face.test/",
    ),
)
OVERRIDE_VALUES: dict[str, list[Any]] = {
    "name": ["Ana Ruiz-Ortega", "Robert J. Stone", "Katherine Lee-Park", "Dr Override"],
    "credentials": [["MD"], ["MD", "FAAD"], ["DO", "FACS"]],
    "specialties": [["dermatology"], ["plastic-surgery", "cosmetic-surgery"], ["mohs-surgery"]],
    "website": ["https://edited-site.test/", None],
    "offers_microneedling": [False],
    "hidden": [True, False],
}


# --- steps ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crawl:
    person: int
    source: str  # "nppes" | "practice_site"
    variant: int
    credentials: tuple[str, ...]
    specialty: str
    offer: str  # "none" | "positive" | "negated"
    deactivated: bool


@dataclass(frozen=True)
class Edit:
    person: int
    field: str
    value_index: int


@dataclass(frozen=True)
class Retire:
    which: int


@dataclass(frozen=True)
class Rebuild:
    pass


crawls = st.builds(
    Crawl,
    person=st.integers(0, len(PEOPLE) - 1),
    source=st.sampled_from(["nppes", "practice_site"]),
    variant=st.integers(0, 1),
    credentials=st.sampled_from([("MD",), ("MD", "FAAD"), ("DO",)]),
    specialty=st.sampled_from(["dermatology", "plastic-surgery", "facial-plastic-surgery"]),
    offer=st.sampled_from(["none", "positive", "negated"]),
    deactivated=st.booleans(),
)
edits = st.builds(
    Edit,
    person=st.integers(0, len(PEOPLE) - 1),
    field=st.sampled_from(sorted(OVERRIDE_VALUES)),
    value_index=st.integers(0, 3),
)
steps = st.lists(
    st.one_of(crawls, edits, st.builds(Retire, which=st.integers(0, 20)), st.just(Rebuild())),
    min_size=1,
    max_size=14,
)


# --- the world: store, model of the admin's decisions, checks -------------------------------------


@dataclass
class ModelOverride:
    id: int
    person: int
    field: str
    value: Any
    active: bool = True


@dataclass
class World:
    data_dir: Path
    store: Store
    run_id: int
    clock: int = 0
    overrides: list[ModelOverride] = field(default_factory=list)
    deactivated: dict[int, bool] = field(default_factory=dict)  # person -> registry status
    built: bool = False

    def observation(self, crawl: Crawl) -> Observation:
        person = PEOPLE[crawl.person]
        name = person.names[crawl.variant]
        first, _, last = name.partition(" ")
        self.clock += 1
        fetched_at = (FIRST_FETCH + timedelta(minutes=self.clock)).strftime("%Y-%m-%dT%H:%M:%SZ")
        found = []
        if crawl.offer != "none":
            found.append(
                evidence(
                    quote=f"{name} offers microneedling for acne scars.",
                    seen_at=fetched_at,
                    negated=crawl.offer == "negated",
                    url=f"{person.website}services/microneedling",
                )
            )
        registry = crawl.source == "nppes"
        return Observation(
            source=crawl.source,
            kind="practitioner",
            source_key=person.npi if registry else f"{person.website}#{name.lower()}",
            url=f"https://npiregistry.test/{person.npi}" if registry else person.website,
            fetched_at=fetched_at,
            payload={
                "name": name,
                "first_name": first,
                "middle_name": None,
                "last_name": last,
                "suffix": None,
                "credentials": list(crawl.credentials),
                "npi": person.npi if registry else None,
                "specialties": [crawl.specialty],
                "taxonomy_codes": [],
                "is_physician": True,
                "role": "physician",
                "practice_name": f"{last} Dermatology",
                "website": None if registry else person.website,
                "profile_url": None,
                "locations": [location(phone=person.phone, practice=f"{last} Dermatology")],
                "evidence": [] if registry else found,
                "status": "deactivated" if registry and crawl.deactivated else "active",
            },
        )

    def crawl(self, crawl: Crawl) -> None:
        self.store.record_observation(self.run_id, self.observation(crawl))
        if crawl.source == "nppes":
            self.deactivated[crawl.person] = crawl.deactivated

    def person_keys(self, person: int) -> set[str]:
        npi = PEOPLE[person].npi
        website = PEOPLE[person].website
        keys = set()
        for stored in self.store.observations("practitioner"):
            obs = stored.observation
            if obs.source_key == npi or obs.source_key.startswith(website + "#"):
                keys.add(observation_key(obs.source, obs.kind, obs.source_key))
        return keys

    def listing_id(self, person: int) -> str | None:
        """The id the person's listing had at the last build: what an admin would edit."""
        ids = {
            pid
            for obs_id, pid in self.store.practitioner_links().items()
            if obs_id in self.person_obs_ids(person)
        }
        assert len(ids) <= 1, f"{PEOPLE[person].label} is split over {ids}"
        return next(iter(ids), None)

    def person_obs_ids(self, person: int) -> set[int]:
        npi = PEOPLE[person].npi
        website = PEOPLE[person].website
        return {
            stored.id
            for stored in self.store.observations("practitioner")
            if stored.observation.source_key == npi
            or stored.observation.source_key.startswith(website + "#")
        }

    def edit(self, edit: Edit) -> None:
        target = self.listing_id(edit.person) if self.built else None
        if target is None:
            return  # the admin can only edit a listing that a build has published
        values = OVERRIDE_VALUES[edit.field]
        value = values[edit.value_index % len(values)]
        # As the back office does: one active override per field, older ones retired first.
        for override in self.overrides:
            if override.person == edit.person and override.field == edit.field and override.active:
                self.store.deactivate_override(override.id, "curator", "replaced")
                override.active = False
        override_id = self.store.add_override(target, edit.field, value, "curator", "test edit")
        self.overrides.append(ModelOverride(override_id, edit.person, edit.field, value))

    def retire(self, retire: Retire) -> None:
        active = [override for override in self.overrides if override.active]
        if active:
            chosen = active[retire.which % len(active)]
            self.store.deactivate_override(chosen.id, "curator", "undo")
            chosen.active = False

    def expected(self, person: int) -> dict[str, Any]:
        """The newest active override of each field for this person."""
        wanted: dict[str, Any] = {}
        for override in self.overrides:
            if override.person == person and override.active:
                wanted[override.field] = override.value
        return wanted

    def rebuild_and_check(self) -> None:
        rebuild(self.data_dir, now=NOW)
        self.built = True
        service = SearchService(self.data_dir)
        try:
            page = service.search(SearchRequest(near="78701", radius=50, per_page=100))
            shown = {result["id"]: result for result in page.results}
            for person in range(len(PEOPLE)):
                if not self.person_obs_ids(person):
                    continue
                listing_id = self.listing_id(person)
                assert listing_id is not None
                wanted = self.expected(person)
                hidden = wanted.get("hidden", self.deactivated.get(person, False))
                public = service.get(listing_id)
                if hidden:
                    assert public is None, f"{PEOPLE[person].label} should be hidden"
                    assert listing_id not in shown
                    continue
                assert public is not None, f"{PEOPLE[person].label} is missing"
                assert listing_id in shown
                for name, value in wanted.items():
                    if name == "hidden":
                        continue
                    assert getattr(public, name) == value, (PEOPLE[person].label, name)
                    assert shown[listing_id][name] == value, (PEOPLE[person].label, name)
                if wanted.get("offers_microneedling") is False:
                    assert public.microneedling_evidence is None
                    assert shown[listing_id]["microneedling_evidence"] is None
        finally:
            service.close()


def run(sequence: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        store = Store(data_dir / "store.sqlite3")
        try:
            world = World(data_dir, store, store.start_run("nppes", {}))
            # Ana and Bob are in the registry from the start; Kate only has her practice site.
            world.crawl(Crawl(0, "nppes", 0, ("MD",), "dermatology", "none", False))
            world.crawl(Crawl(1, "nppes", 0, ("MD",), "dermatology", "none", False))
            world.crawl(Crawl(2, "practice_site", 0, ("MD",), "dermatology", "positive", False))
            world.rebuild_and_check()
            for step in sequence:
                if isinstance(step, Crawl):
                    world.crawl(step)
                elif isinstance(step, Edit):
                    world.edit(step)
                elif isinstance(step, Retire):
                    world.retire(step)
                else:
                    world.rebuild_and_check()
            world.rebuild_and_check()
        finally:
            store.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps)
def test_every_standing_override_is_what_the_public_sees_after_any_crawls_and_edits(sequence):
    run(sequence)


def test_overrides_follow_a_person_whose_registry_record_arrives_later():
    """Kate is edited while she is a site-only listing, then her NPI record arrives: the edit holds."""
    run(
        [
            Edit(2, "name", 2),
            Edit(2, "offers_microneedling", 0),
            Crawl(2, "nppes", 1, ("MD", "FAAD"), "plastic-surgery", "none", False),
            Rebuild(),
            Edit(2, "credentials", 2),
            Crawl(2, "practice_site", 1, ("MD",), "dermatology", "positive", False),
        ]
    )


def test_unhide_override_beats_a_deactivated_registry_record():
    run(
        [
            Crawl(0, "nppes", 0, ("MD",), "dermatology", "none", True),
            Rebuild(),
            Edit(0, "hidden", 1),
            Edit(0, "website", 0),
        ]
    )
