"""'Did you mean': corrections come only from the index's own vocabulary, within a small edit
distance, never for short words, preferring procedure and specialty words, then common names."""

from __future__ import annotations

import pytest

from index.suggest import SpellingVocabulary, correct_word, max_edits, suggest


def vocabulary(names: dict[str, int] | None = None, terms: list[str] | None = None):
    return SpellingVocabulary(
        terms={word: 0 for word in (terms or ["microneedling", "dermatology", "skinpen"])},
        names=names or {"ruiz": 1, "okafor": 1, "lakeside": 2, "austin": 3, "rf": 9},
        known_stems=frozenset({"ruiz", "austin", "scar", "dermatolog"}),
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ruz", "ruiz"),
        ("okafr", "okafor"),
        ("lakesde", "lakeside"),
        ("dermatolgy", "dermatology"),
        ("microneedlng", "microneedling"),
        ("skinpin", "skinpen"),
    ],
)
def test_a_typo_is_corrected_to_a_word_of_the_index(typed, expected):
    assert correct_word(typed, vocabulary()) == expected


def test_a_short_word_never_becomes_a_two_letter_term():
    # The old Whoosh corrector turned "Ruz" into "rf".
    assert correct_word("ruz", vocabulary(names={"rf": 50})) is None
    assert correct_word("rz", vocabulary()) is None


def test_known_words_numbers_and_far_words_are_left_alone():
    words = vocabulary()
    assert correct_word("austin", words) is None  # in the vocabulary
    assert correct_word("scars", words) is None  # its stem is indexed text
    assert correct_word("78701", words) is None
    assert correct_word("zzzzzz", words) is None
    assert correct_word("xyzzy", words) is None


def test_short_words_allow_one_edit_and_long_words_two():
    assert max_edits("ruz") == max_edits("okafr") == 1
    assert max_edits("lakesde") == 2
    assert correct_word("rxz", vocabulary()) is None  # two edits from "ruiz"


def test_on_equal_distance_a_procedure_word_beats_a_name_and_a_common_name_beats_a_rare_one():
    words = vocabulary(names={"potenza": 1, "botenza": 1}, terms=["potenza"])
    assert correct_word("pxtenza", words) == "potenza"
    words = vocabulary(names={"garcia": 40, "marcia": 1})
    assert correct_word("xarcia", words) == "garcia"


def test_suggest_keeps_the_correct_words_and_returns_none_when_nothing_changes():
    words = vocabulary()
    assert suggest(["ana", "ruz"], words) == "ana ruiz"
    assert suggest(["austin"], words) is None
    assert suggest([], words) is None


def test_the_vocabulary_round_trips_through_its_file(tmp_path):
    original = vocabulary()
    original.write(tmp_path / "spelling.json")
    again = SpellingVocabulary.read(tmp_path / "spelling.json")
    assert again == original
    assert correct_word("okafr", again) == "okafor"


def test_a_missing_or_foreign_vocabulary_file_reads_as_none(tmp_path):
    assert SpellingVocabulary.read(tmp_path / "absent.json") is None
    (tmp_path / "other.json").write_text('{"format": 99}')
    assert SpellingVocabulary.read(tmp_path / "other.json") is None
    (tmp_path / "broken.json").write_text("{not json")
    assert SpellingVocabulary.read(tmp_path / "broken.json") is None
