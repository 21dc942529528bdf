"""Serve replicas following a published generation (skinmap/replica.py): a manifest with
checksums, a copy verified before the atomic switch, and a corrupt publication refused."""

from __future__ import annotations

import json

import pytest

from index.build import current_generation, index_dir, rebuild
from index.search import SearchRequest, SearchService
from skinmap.cli import main
from skinmap.replica import MANIFEST, ReplicaError, publish, sync
from tests.search_web.sample import build_data_dir, fixture_observations


@pytest.fixture
def store_machine(tmp_path):
    return build_data_dir(tmp_path / "store-machine", fixture_observations())


def _total(data_dir) -> int:
    service = SearchService(data_dir)
    try:
        return service.search(SearchRequest(q="microneedling")).total
    finally:
        service.close()


def test_a_replica_serves_the_published_generation_after_verifying_it(store_machine, tmp_path):
    replica = tmp_path / "replica"
    manifest = publish(store_machine)
    assert manifest.generation == current_generation(store_machine)
    assert "READY" in manifest.files and "listings.jsonl" in manifest.files

    assert sync(store_machine, replica) == manifest.generation
    assert current_generation(replica) == manifest.generation
    assert _total(replica) == _total(store_machine) > 0
    assert sync(store_machine, replica) is None  # already serving it


def test_admin_patches_appended_after_publishing_do_not_break_the_copy(store_machine, tmp_path):
    publish(store_machine)
    patches = index_dir(store_machine) / current_generation(store_machine) / "patches.jsonl"
    with open(patches, "a", encoding="utf-8") as handle:  # appended by the back office later
        handle.write(json.dumps({"id": "p-0000000000", "later": True}) + "\n")
    assert sync(store_machine, tmp_path / "replica") is not None


def test_a_corrupt_publication_is_refused_and_the_replica_keeps_serving(store_machine, tmp_path):
    replica = tmp_path / "replica"
    publish(store_machine)
    first = sync(store_machine, replica)
    rebuild(store_machine)
    manifest = publish(store_machine)
    listings = index_dir(store_machine) / manifest.generation / "listings.jsonl"
    text = listings.read_bytes()
    listings.write_bytes(text[:-2] + b"X\n")  # same size, different bytes

    with pytest.raises(ReplicaError, match="does not match its published checksum"):
        sync(store_machine, replica)
    assert current_generation(replica) == first
    assert not (index_dir(replica) / manifest.generation).exists()
    assert [p.name for p in index_dir(replica).iterdir() if p.name.startswith(".incoming")] == []


def test_publish_and_follow_from_the_command_line(store_machine, tmp_path, capsys):
    assert main(["--data-dir", str(store_machine), "publish"]) == 0
    assert MANIFEST in capsys.readouterr().out
    replica = tmp_path / "replica"
    assert main(["--data-dir", str(replica), "follow", "--from", str(store_machine), "--once"]) == 0
    assert "now serving gen-" in capsys.readouterr().out
    assert (
        main(["--data-dir", str(tmp_path / "r2"), "follow", "--from", str(tmp_path), "--once"]) == 2
    )
    assert "nothing published" in capsys.readouterr().err
