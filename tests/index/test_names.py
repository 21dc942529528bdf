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
