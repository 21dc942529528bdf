"""Patient text -> Whoosh query: no syntax leaks through, caps hold, lay terms become a filter."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.query import Term

from index.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    SearchError,
    build_query,
    lay_terms,
    parse_patient_text,
)


def all_terms(query) -> set[tuple[str, str]]:
    return {(fieldname, text) for fieldname, text in query.iter_all_terms()}


def test_operators_and_field_syntax_are_plain_words():
    parsed = parse_patient_text('name:ruiz AND (stone OR "park") skin* [a TO z] ~2 ^3')
    query = build_query(parsed)
    fields = {fieldname for fieldname, _ in all_terms(query)}
    assert fields <= {"name", "text"}
    assert "ruiz" in parsed.terms and "name" in parsed.terms
    assert not any(ch in term for term in parsed.terms for ch in '*?:~^"[]()')


def test_lay_terms_become_a_filter_on_offering_listings():
    parsed = parse_patient_text("Acne scars Austin")
    assert parsed.wants_procedure is True
    assert parsed.terms == ["austin"]
    assert ("offers", "yes") in all_terms(build_query(parsed))


def test_brand_names_and_hyphenated_spellings_count_as_the_procedure():
    assert parse_patient_text("SkinPen").wants_procedure
    assert parse_patient_text("micro-needling").wants_procedure
    assert parse_patient_text("pitted  scars!").wants_procedure


def test_text_longer_than_the_cap_is_refused():
    with pytest.raises(SearchError, match=str(MAX_QUERY_CHARS)):
        parse_patient_text("a" * (MAX_QUERY_CHARS + 1))


def test_only_the_first_terms_are_kept():
    words = " ".join(f"word{chr(97 + i)}x" for i in range(20))
    assert len(parse_patient_text(words).terms) == MAX_TERMS


def test_empty_or_stop_word_text_means_no_text_restriction():
    assert build_query(parse_patient_text("   ")) is None
    assert build_query(parse_patient_text("the doctor near me")) is None
    assert build_query(parse_patient_text(None)) is None


def test_single_word_query_matches_name_or_text():
    query = build_query(parse_patient_text("Ruiz"))
    assert Term("text", "ruiz") in query.subqueries


def test_vocabulary_is_read_from_both_files_defensively(tmp_path):
    (tmp_path / "synonyms.json").write_text(json.dumps({"microneedling": ["needle facial", 3]}))
    (tmp_path / "procedures.json").write_text("{not json")
    phrases = lay_terms(tmp_path)
    assert "needle facial" in phrases and "microneedling" in phrases


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=260))
def test_arbitrary_text_raises_nothing_but_search_error(text):
    try:
        parsed = parse_patient_text(text)
    except SearchError:
        assert len(text) > MAX_QUERY_CHARS
        return
    query = build_query(parsed)
    if query is not None:
        assert {fieldname for fieldname, _ in all_terms(query)} <= {"name", "text", "offers"}
