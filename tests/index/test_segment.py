"""index.segment writes the same index Whoosh's own writer does: every term, posting, weight,
field length and stored field, in one segment or in several written by parallel processes."""

from __future__ import annotations

import pytest
from whoosh.filedb.filestore import FileStorage

from benchmarks.synth import listings
from index.schema import SkinmapSchema, document_for
from index.segment import write_documents, write_index

ODD_DOCUMENTS = [
    {"id": "x-1", "name": "Ána Ñúñez-O'Brien", "text": "", "spelling": "", "specialties": ""},
    {"id": "x-2", "name": "The Of And", "text": "a an the is tbd", "stale": True},
    {"id": "x-3", "name": "Zoë 2nd", "text": "scars scars SCARS Scarring 3", "offers": "yes"},
    {"id": "", "name": "é", "text": "naïve café ß", "specialties": "dermatology,,plastic-surgery"},
]


def documents(n: int) -> list[dict]:
    return [document_for(listing) for listing in listings(n)] + ODD_DOCUMENTS


def whoosh_index(path, docs):
    path.mkdir()
    ix = FileStorage(str(path)).create_index(SkinmapSchema())
    writer = ix.writer()
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix


def assert_same_index(a, b) -> None:
    ra, rb = a.reader(), b.reader()
    try:
        assert ra.doc_count_all() == rb.doc_count_all()
        assert list(ra.all_stored_fields()) == list(rb.all_stored_fields())
        for fieldname in SkinmapSchema().names():
            field = ra.schema[fieldname]
            if not field.indexed:
                continue
            terms_a, terms_b = list(ra.iter_field(fieldname)), list(rb.iter_field(fieldname))
            assert [t for t, _ in terms_a] == [t for t, _ in terms_b], fieldname
            for (text, info_a), (_, info_b) in zip(terms_a, terms_b, strict=True):
                stats = ("weight", "doc_frequency", "min_length", "max_length", "max_weight")
                assert [getattr(info_a, s)() for s in stats] == [
                    getattr(info_b, s)() for s in stats
                ], (fieldname, text)
                postings_a = list(ra.postings(fieldname, text).items_as("weight"))
                postings_b = list(rb.postings(fieldname, text).items_as("weight"))
                assert postings_a == postings_b, (fieldname, text)
            if field.scorable:
                assert ra.field_length(fieldname) == rb.field_length(fieldname)
                count = ra.doc_count_all()
                assert [ra.doc_field_length(d, fieldname) for d in range(count)] == [
                    rb.doc_field_length(d, fieldname) for d in range(count)
                ], fieldname
    finally:
        ra.close()
        rb.close()


def test_one_pass_writing_makes_the_index_whoosh_makes(tmp_path):
    docs = documents(400)  # more than a postings block (128) for the common terms
    expected = whoosh_index(tmp_path / "whoosh", docs)
    (tmp_path / "fast").mkdir()
    ix = FileStorage(str(tmp_path / "fast")).create_index(SkinmapSchema())
    writer = ix.writer()
    assert write_documents(writer, docs) == len(docs)
    writer.commit()
    assert_same_index(expected, ix)


@pytest.mark.parametrize("procs", [1, 2, 3])
def test_segments_written_in_parallel_keep_the_documents_order(tmp_path, procs):
    docs = documents(300)
    expected = whoosh_index(tmp_path / "whoosh", docs)
    (tmp_path / "parallel").mkdir()
    sides = write_index(
        tmp_path / "parallel",
        SkinmapSchema(),
        docs,
        lambda doc: (doc, doc["id"]),
        procs=procs,
    )
    assert sides == [doc["id"] for doc in docs]
    ix = FileStorage(str(tmp_path / "parallel")).open_index()
    assert len(ix._segments()) == procs
    assert not [p for p in (tmp_path / "parallel").iterdir() if p.name.startswith("part-")]
    assert_same_index(expected, ix)


def test_a_failing_segment_writer_fails_the_whole_write(tmp_path):
    docs = documents(50)

    def to_document(doc):
        if doc["id"] == docs[-1]["id"]:  # in the last run, so in a child process
            raise ValueError("bad listing")
        return doc, None

    (tmp_path / "broken").mkdir()
    with pytest.raises(RuntimeError, match="segment-writing process failed"):
        write_index(tmp_path / "broken", SkinmapSchema(), docs, to_document, procs=2)
