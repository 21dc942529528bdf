"""Name normalisation: titles, credentials and middle initials go, nicknames map."""

from __future__ import annotations

from index.names import normalise_name


def test_names_lose_titles_credentials_and_middle_initials():
    key = normalise_name({"name": "Dr. Ana M. Ruiz, MD, FAAD"})
    assert (key.first, key.last) == ("ana", "ruiz")


def test_nicknames_map_to_the_formal_first_name():
    assert normalise_name({"name": "Bob Stone"}).first == "robert"
    assert normalise_name({"first_name": "Liz", "last_name": "Park"}).first == "elizabeth"


def test_two_word_names_that_look_like_credentials_are_kept():
    key = normalise_name({"name": "Thanh Do"})
    assert (key.first, key.last) == ("thanh", "do")


def test_short_forms_that_stand_for_several_given_names_match_each():
    from index.names import name_similarity

    sam = normalise_name({"name": "Sam Okafor"})
    assert name_similarity(sam, normalise_name({"name": "Samantha Okafor"})) >= 90
    assert name_similarity(sam, normalise_name({"name": "Samuel Okafor"})) >= 90
    nate = normalise_name({"name": "Nate Brooks"})
    assert name_similarity(nate, normalise_name({"name": "Nathaniel Brooks"})) >= 90
    assert name_similarity(nate, normalise_name({"name": "Natalie Brooks"})) == 0


def test_two_given_names_match_the_same_names_run_together():
    from index.names import name_similarity

    mary_ann = normalise_name({"first_name": "Mary Ann", "last_name": "Thornton"})
    maryann = normalise_name({"first_name": "MARYANN", "last_name": "THORNTON"})
    assert name_similarity(mary_ann, maryann) == 100


def test_a_former_last_name_matches_only_as_a_name_never_alone():
    from index.names import name_similarity
    from index.resolve import resolve
    from tests.index.conftest import location, practitioner

    registry = normalise_name(
        {"name": "Laura Costa", "former_names": [{"first_name": "Laura", "last_name": "Schultz"}]}
    )
    assert name_similarity(registry, normalise_name({"name": "Laura Schultz"})) >= 90
    # the name alone joins nothing: it needs a shared phone, street or website (index.resolve)
    nppes = practitioner(name="Laura Costa", locations=[location(phone="+14045550101")])
    nppes.payload["former_names"] = [{"first_name": "Laura", "last_name": "Schultz"}]
    elsewhere = practitioner(
        name="Laura Schultz", source="directory", npi=None,
        locations=[location(phone="+14045550199", street="9 Other Rd", postal_code="30309")],
    )  # fmt: skip
    assert len(resolve([(1, nppes), (2, elsewhere)])) == 2
    same_phone = practitioner(
        name="Laura Schultz",
        source="directory",
        npi=None,
        locations=[location(phone="+14045550101")],
    )
    assert len(resolve([(1, nppes), (2, same_phone)])) == 1
