"""Resolution quality on a labelled set of hard record pairs: precision >= 0.99, recall >= 0.90.

The pairs (tests/index/resolution_pairs.json) are fictional and labelled by construction in
tests/index/make_resolution_pairs.py. A pair counts as a "same person" decision when the resolver puts
its two observations in one cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.records import Observation
from index.resolve import resolve

PAIRS_FILE = Path(__file__).resolve().parent / "resolution_pairs.json"
MIN_PRECISION = 0.99
MIN_RECALL = 0.90


@dataclass
class Pair:
    id: str
    origin: str
    same_person: bool
    why: str
    a: Observation
    b: Observation


@dataclass
class Scores:
    true_pos: int
    false_pos: int
    false_neg: int
    true_neg: int

    @property
    def precision(self) -> float:
        predicted = self.true_pos + self.false_pos
        return self.true_pos / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        actual = self.true_pos + self.false_neg
        return self.true_pos / actual if actual else 0.0


def load_pairs() -> list[Pair]:
    data = json.loads(PAIRS_FILE.read_text(encoding="utf-8"))
    return [
        Pair(
            id=raw["id"],
            origin=raw["origin"],
            same_person=raw["same_person"],
            why=raw["why"],
            a=Observation(**raw["a"]),
            b=Observation(**raw["b"]),
        )
        for raw in data["pairs"]
    ]


PAIRS = load_pairs()


def score(pairs: list[Pair], decisions: dict[str, bool]) -> Scores:
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for pair in pairs:
        said = decisions[pair.id]
        key = ("t" if said == pair.same_person else "f") + ("p" if said else "n")
        counts[key] += 1
    return Scores(counts["tp"], counts["fp"], counts["fn"], counts["tn"])


def report(label: str, pairs: list[Pair], decisions: dict[str, bool], scores: Scores) -> None:
    print(
        f"\n{label}: precision {scores.precision:.4f}, recall {scores.recall:.4f} "
        f"(tp {scores.true_pos}, fp {scores.false_pos}, fn {scores.false_neg}, tn {scores.true_neg})"
    )
    for pair in pairs:
        if decisions[pair.id] != pair.same_person:
            wrong = "merged" if decisions[pair.id] else "kept apart"
            print(f"  {pair.id} ({pair.origin}) {wrong}: {pair.why}")


def decide_one_by_one(pairs: list[Pair]) -> dict[str, bool]:
    decisions = {}
    for pair in pairs:
        clusters = resolve([(1, pair.a), (2, pair.b)])
        decisions[pair.id] = len(clusters) == 1
    return decisions


# --- the labelled set itself ---------------------------------------------------------------------


def test_the_labelled_set_has_enough_hard_pairs_of_both_kinds():
    assert len(PAIRS) >= 200
    assert sum(p.origin == "hand" for p in PAIRS) >= 60
    assert sum(p.same_person for p in PAIRS) >= 80
    assert sum(not p.same_person for p in PAIRS) >= 80
    for pair in PAIRS:
        pair.a.validate()
        pair.b.validate()
        assert pair.a.kind == pair.b.kind == "practitioner"
        assert (pair.a.source, pair.a.source_key) != (pair.b.source, pair.b.source_key), pair.id
        assert pair.why.strip(), pair.id


def test_the_pairs_file_is_exactly_what_the_generator_writes():
    """Labels come from the generator's cases; a hand edit of the JSON would bypass them."""
    from tests.index.make_resolution_pairs import build, render

    assert PAIRS_FILE.read_text(encoding="utf-8") == render(build())


def _linking_keys(obs: Observation) -> set[str]:
    payload = obs.payload
    keys = {f"key:{obs.source}|{obs.source_key}"}
    if payload.get("npi"):
        keys.add(f"npi:{payload['npi']}")
    if payload.get("website"):
        keys.add(f"site:{payload['website']}")
    for location in payload.get("locations") or []:
        for field in ("phone", "postal_code", "street"):
            if location.get(field):
                keys.add(f"{field}:{location[field]}")
    return keys


def test_no_two_pairs_share_a_phone_zip_street_website_npi_or_key():
    owner: dict[str, str] = {}
    for pair in PAIRS:
        for key in _linking_keys(pair.a) | _linking_keys(pair.b):
            assert owner.setdefault(key, pair.id) == pair.id, f"{key} in {owner[key]} and {pair.id}"


def test_fixtures_use_fictional_phones_and_test_websites():
    for pair in PAIRS:
        for obs in (pair.a, pair.b):
            website = obs.payload.get("website")
            assert website is None or website.rstrip("/").endswith(".test")
            for location in obs.payload["locations"]:
                phone = location.get("phone")
                assert phone is None or phone[5:10] == "55501", phone


# --- quality -------------------------------------------------------------------------------------


def test_pairs_resolved_one_at_a_time_meet_precision_and_recall():
    decisions = decide_one_by_one(PAIRS)
    scores = score(PAIRS, decisions)
    report("one pair at a time", PAIRS, decisions, scores)
    assert scores.precision >= MIN_PRECISION
    assert scores.recall >= MIN_RECALL


def test_the_whole_set_resolved_at_once_meets_precision_and_recall_and_agrees():
    observations: list[tuple[int, Observation]] = []
    pair_of: dict[int, str] = {}
    for number, pair in enumerate(PAIRS):
        for offset, obs in enumerate((pair.a, pair.b)):
            obs_id = 2 * number + offset + 1
            observations.append((obs_id, obs))
            pair_of[obs_id] = pair.id
    clusters = resolve(observations)

    cluster_of: dict[int, str] = {}
    for cluster in clusters:
        owners = {pair_of[obs_id] for obs_id in cluster.observation_ids}
        assert len(owners) == 1, f"a cluster spans pairs {sorted(owners)}"
        for obs_id in cluster.observation_ids:
            cluster_of[obs_id] = cluster.id
    decisions = {
        pair.id: cluster_of[2 * number + 1] == cluster_of[2 * number + 2]
        for number, pair in enumerate(PAIRS)
    }
    scores = score(PAIRS, decisions)
    report("whole set at once", PAIRS, decisions, scores)
    assert decisions == decide_one_by_one(PAIRS)
    assert scores.precision >= MIN_PRECISION
    assert scores.recall >= MIN_RECALL


@pytest.mark.parametrize("origin", ["hand", "generated"])
def test_each_part_of_the_set_keeps_precision_on_its_own(origin):
    pairs = [pair for pair in PAIRS if pair.origin == origin]
    decisions = decide_one_by_one(pairs)
    scores = score(pairs, decisions)
    report(f"{origin} pairs", pairs, decisions, scores)
    assert scores.precision >= MIN_PRECISION
