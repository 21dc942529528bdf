"""One-pass writing of a Whoosh segment: the same files Whoosh's own writer makes, at a fraction of
its Python work per word and per posting.

Whoosh's SegmentWriter runs every field value through its analyzer pipeline (a generator chain per
token), puts every posting into a sorting pool as a 5-tuple, sorts it at commit and then writes the
postings one call at a time, reading each document's field length back from disk for each posting.
Here, instead:

- analysis: our text analyzers are word-local (a `\\w+` tokenizer, then lower case, stop words and
  stemming, each of which looks at one token only), so each distinct word is analysed once and
  remembered; a field value costs one regex scan and a dictionary lookup per word;
- postings: kept per field and term as docnum and frequency arrays, already in docnum order, so
  nothing is sorted but the terms;
- writing: through Whoosh's own codec (per-document writer, field writer and postings writer), a
  whole block of postings at a time, with the field lengths from memory.

Fields this does not know how to analyse (another analyzer, vectors, spelling graphs, sortable
columns) go through the field's own `index()`, exactly as Whoosh's writer would; the tests compare
every term, posting and length with Whoosh's writer. `write_index` writes contiguous runs of the
documents as segments in parallel processes, one per core. Owns: write_documents, write_index.
Must not import the store, search_web or crawler.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh.analysis import (
    CompositeAnalyzer,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence, Frequency
from whoosh.index import TOC, clean_files
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

_WORD_LOCAL = (LowercaseFilter, StopFilter, StemFilter)


def _word_local_pattern(analyzer) -> re.Pattern | None:
    """The tokenizer's pattern when every step after it looks at one token at a time."""
    if not isinstance(analyzer, CompositeAnalyzer) or not analyzer.items:
        return None
    tokenizer, *filters = analyzer.items
    if type(tokenizer) is not RegexTokenizer or tokenizer.gaps:
        return None
    if not all(type(f) in _WORD_LOCAL for f in filters):
        return None
    return tokenizer.expression


class _FastField:
    """Word frequencies of one text field, each distinct word analysed once."""

    def __init__(self, field) -> None:
        self.analyzer = field.analyzer
        self.pattern = _word_local_pattern(field.analyzer)
        self.words: dict[str, tuple[bytes, ...]] = {}
        self.usable = self.pattern is not None and type(field.format) in (Frequency, Existence)
        self.to_bytes = field.to_bytes

    def terms(self, value: str) -> dict[bytes, int]:
        words = self.words
        counts: dict[bytes, int] = {}
        for word in self.pattern.findall(value):
            found = words.get(word)
            if found is None:
                found = words[word] = tuple(
                    self.to_bytes(token.text) for token in self.analyzer(word)
                )
            for term in found:
                counts[term] = counts.get(term, 0) + 1
        return counts


_CACHE_VALUES = 4096  # a field with more distinct values than this (e.g. ids) is not cached


class _Field:
    """How one field's values become terms: the fast word-local path, the whole value as one term
    (an ID field), or the field's own index(), remembered per distinct value."""

    def __init__(self, field) -> None:
        if (
            field.vector
            or field.column_type
            or field.separate_spelling()
            or (field.indexed and type(field.format) not in (Frequency, Existence))
        ):
            raise ValueError(f"write_documents cannot write a field like {field!r}")
        self.field = field
        self.indexed, self.stored, self.scorable = field.indexed, field.stored, field.scorable
        self.fast = _FastField(field) if field.indexed else None
        self.whole = type(field.analyzer) is IDTokenizer and type(field.format) is Existence
        self.cache: dict | None = {}
        self.postings: dict[bytes, tuple[array, array]] = {}
        self.lengths: array | None = None

    def items(self, value) -> Iterable[tuple[bytes, int]]:
        if isinstance(value, str):
            if self.whole:
                return ((value.encode("utf-8"), 1),)
            if self.fast is not None and self.fast.usable:
                return self.fast.terms(value).items()
        cache = self.cache
        if cache is not None:
            found = cache.get(value)
            if found is not None:
                return found
        found = tuple((text, freq) for text, freq, _, _ in self.field.index(value))
        if cache is not None:
            cache[value] = found
            if len(cache) > _CACHE_VALUES:
                self.cache = None
        return found


def write_documents(writer: SegmentWriter, documents: Iterable[dict]) -> int:
    """Add `documents` (field name -> value, as for `add_document`) to a fresh writer's segment and
    leave it ready for `writer.commit()`; returns the number of documents."""
    if writer.docnum != 0 or writer._added:
        raise ValueError("write_documents needs a fresh writer")
    schema, perdoc = writer.schema, writer.perdocwriter
    fields: dict[str, _Field] = {}
    docnum = 0
    start_doc, add_field, finish_doc = perdoc.start_doc, perdoc.add_field, perdoc.finish_doc
    for document in documents:
        start_doc(docnum)
        for fieldname in sorted(document):
            value = document[fieldname]
            if value is None or fieldname.startswith("_"):
                continue
            plan = fields.get(fieldname)
            if plan is None:
                plan = fields[fieldname] = _Field(schema[fieldname])
            length = 0
            if plan.indexed:
                postings = plan.postings
                for term, freq in plan.items(value):
                    found = postings.get(term)
                    if found is None:
                        found = postings[term] = (array("I"), array("I"))
                    found[0].append(docnum)
                    found[1].append(freq)
                    length += freq
                if not plan.scorable:
                    length = 0
                elif length:
                    column = plan.lengths
                    if column is None:
                        column = plan.lengths = array("I")
                    if len(column) <= docnum:
                        column.extend(bytes(docnum + 1 - len(column)))  # zeros up to this doc
                    column[docnum] = length
            add_field(fieldname, plan.field, value if plan.stored else None, length)
        finish_doc()
        docnum += 1
    writer.docnum = docnum
    writer._added = True
    _write_postings(
        writer,
        {name: plan.postings for name, plan in fields.items() if plan.postings},
        {name: plan.lengths for name, plan in fields.items() if plan.lengths is not None},
        docnum,
    )
    return docnum


def _write_postings(writer, postings, lengths, doc_count: int) -> None:
    schema, fieldwriter = writer.schema, writer.fieldwriter
    quantised = {byte: byte_to_length(byte) for byte in range(256)}
    for fieldname in sorted(postings):
        field = schema[fieldname]
        boost = field.format.field_boost
        frequency = type(field.format) is Frequency
        raw = lengths.get(fieldname)
        if raw is not None:
            raw.extend(bytes(doc_count - len(raw)))
            # the length Whoosh's reader gives back: quantised to one byte, 0 when absent
            field_lengths = [quantised[length_to_byte(n)] if n else 0 for n in raw]
        else:
            field_lengths = None
        values = {}
        fieldwriter.start_field(fieldname, field)
        by_term = postings[fieldname]
        for term in sorted(by_term):
            docnums, freqs = by_term[term]
            fieldwriter.start_term(term)
            postwriter = fieldwriter._postwriter
            limit = postwriter._blocklimit
            for start in range(0, len(docnums), limit):
                if start:
                    postwriter._write_block()  # the previous block was full
                ids = docnums[start : start + limit]
                counts = freqs[start : start + limit]
                postwriter._ids = ids
                if frequency:
                    postwriter._weights = array("f", [boost * n for n in counts])
                    for n in counts:
                        if n not in values:
                            values[n] = pack_uint(n)
                    postwriter._values = [values[n] for n in counts]
                else:
                    postwriter._weights = array("f", [boost]) * len(ids)
                    postwriter._values = []
                postwriter._maxweight = max(0, max(postwriter._weights))
                if field_lengths is not None:
                    present = [field_lengths[d] for d in ids if field_lengths[d]]
                    postwriter._minlength = min(present) if present else None
                    postwriter._maxlength = max(present) if present else 0
                else:
                    postwriter._minlength, postwriter._maxlength = None, 0
            fieldwriter.finish_term()
        fieldwriter.finish_field()


# --- several segments at once ---------------------------------------------------------------------


def _child(directory: str, schema, run: list, to_document: Callable, limitmb: int, pipe) -> None:
    # A forked child: it reports failure by its exit code (its traceback goes to stderr).
    storage = FileStorage(directory, supports_mmap=False)
    storage.create_index(schema).close()
    sides: list = []
    _write_part_into(storage, schema, _documents(run, to_document, sides), limitmb)
    pipe.send(sides)
    pipe.close()


def _documents(run: Iterable, to_document: Callable, sides: list) -> Iterator[dict]:
    for item in run:
        document, side = to_document(item)
        sides.append(side)
        yield document


def write_index(
    path: Path,
    schema,
    items: list,
    to_document: Callable[[object], tuple[dict, object]],
    procs: int = 1,
    limitmb: int = 128,
    while_waiting: Callable[[], None] | None = None,
    first_share: float | None = None,
) -> list:
    """A fresh Whoosh index at `path` with one document per item, in order (docnum = position);
    `to_document(item)` gives the document's fields and a small side value, and the side values
    are returned in item order.

    With procs > 1 the items are cut into that many contiguous runs, each written as its own
    segment by its own forked process; the segments are then listed in run order in one table of
    contents, so docnums still follow the items' order. No merge pass: a reader reads the segments
    one after the other. `while_waiting` runs in this process once its own run is written, while
    the others may still be writing theirs (with a smaller `first_share` of the items for this
    process, so that it finishes with them).
    """
    storage = FileStorage(str(path), supports_mmap=False)
    storage.create_index(schema).close()
    sides: list = []
    if procs <= 1 or len(items) < 2 * procs:
        _write_part_into(storage, schema, _documents(items, to_document, sides), limitmb)
        if while_waiting is not None:
            while_waiting()
        return sides
    share = 1 / procs if first_share is None else min(max(first_share, 0.05), 1 / procs)
    first = max(1, round(len(items) * share))
    size = -(-(len(items) - first) // (procs - 1))
    runs = [items[:first]] + [
        items[start : start + size] for start in range(first, len(items), size)
    ]
    context = multiprocessing.get_context("fork")
    parts = [Path(tempfile.mkdtemp(prefix="part-", dir=path)) for _ in runs[1:]]
    pipes = [context.Pipe(duplex=False) for _ in runs[1:]]
    children = [
        context.Process(
            target=_child, args=(str(part), schema, run, to_document, limitmb, sender), daemon=True
        )
        for part, run, (_, sender) in zip(parts, runs[1:], pipes, strict=True)
    ]
    try:
        for child in children:
            child.start()
        _write_part_into(storage, schema, _documents(runs[0], to_document, sides), limitmb)
        if while_waiting is not None:
            while_waiting()
        for child, (receiver, sender) in zip(children, pipes, strict=True):
            sender.close()
            with contextlib.suppress(EOFError):  # it died: its exit code says so below
                sides += receiver.recv()
            child.join()
        failed = [child.exitcode for child in children if child.exitcode != 0]
        if failed:
            raise RuntimeError(f"a segment-writing process failed (exit codes {failed})")
        _adopt(storage, schema, parts)
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
                child.join()
        for part in parts:
            shutil.rmtree(part, ignore_errors=True)
    return sides


def _write_part_into(storage: FileStorage, schema, documents: Iterable[dict], limitmb: int) -> None:
    ix = storage.open_index()
    writer = ix.writer(limitmb=limitmb)
    try:
        write_documents(writer, documents)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    ix.close()


def _adopt(storage: FileStorage, schema, parts: list[Path]) -> None:
    """Move the parts' segments into `storage` after its own, in order, under one new TOC."""
    ix = storage.open_index()
    segments = list(ix._segments())
    generation = ix.latest_generation()
    ix.close()
    for part in parts:
        other = FileStorage(str(part), supports_mmap=False).open_index()
        for segment in other._segments():
            if segment.indexname != ix.indexname:
                raise RuntimeError("segment of another index name")
            for name in segment.list_files(other.storage):
                os.replace(part / name, Path(storage.folder) / name)
            segments.append(segment)
        other.close()
    TOC(schema, segments, generation + 1).write(storage, ix.indexname)
    clean_files(storage, ix.indexname, generation + 1, segments)
