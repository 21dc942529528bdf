"""Dense rows for a generation's most frequent terms: one byte per document, the term's weight there.

Reading a common term's postings from Whoosh costs Python work per posting (tens of thousands for
"dermatology"), even when a place has narrowed the candidates to a few hundred. For every term in at
least FREQUENT_SHARE of the documents, the build writes a row of `doc_count` bytes to `terms.bin`
(weight capped at 255; 0 = absent). A query reads a row with one pread and then looks up only its
candidates. Rare terms keep using their (short) Whoosh postings.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import IndexReader

TERM_ROWS_FILE = "terms.bin"
FORMAT = 1
FREQUENT_SHARE = 0.02  # a term in at least 2% of the documents gets a row
MIN_FREQUENT_DOCS = 256  # below this, postings are short enough anyway
MAX_ROWS_BYTES = 256 * 1024 * 1024  # bounds the file for very large indexes: the commonest first


def read_postings(reader: IndexReader, fieldname: str, term: str) -> tuple[array, array]:
    """(docnums, weights) of one term in one field, read a whole block at a time.

    Whoosh's matcher API costs several Python calls per posting; the W3 leaf matcher keeps each
    decoded block as arrays, so we take those directly (and fall back to the matcher API for any
    other matcher, e.g. one that filters deleted documents).
    """
    docnums, weights = array("I"), array("f")
    text = reader.schema[fieldname].to_bytes(term)
    for leaf, base in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = leaf.postings(fieldname, text)
        if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
            while matcher.is_active():
                # the block's (delta-coded ids, weights, values), decoded here in C rather than
                # by Whoosh's generator, one Python step per id
                if matcher._data is None:
                    matcher._read_data()
                deltas, block_weights = matcher._data[0], matcher._data[1]
                ids = itertools.accumulate(deltas)
                docnums.extend(ids if base == 0 else map(base.__add__, ids))
                if block_weights is None or isinstance(block_weights, float):
                    one = 1.0 if block_weights is None else block_weights
                    weights.extend(array("f", (one,)) * matcher._blocklength)
                else:
                    weights.extend(block_weights)
                matcher._next_block()
        else:
            while matcher.is_active():
                docnums.append(matcher.id() + base)
                weights.append(matcher.weight())
                matcher.next()
    return docnums, weights


def frequent_terms(reader: IndexReader, fieldnames: Iterable[str]) -> list[tuple[str, str, int]]:
    """(fieldname, term, doc frequency) of every term common enough to deserve a row."""
    threshold = frequent_threshold(reader.doc_count_all())
    found = []
    for fieldname in fieldnames:
        field = reader.schema[fieldname]
        for text, info in reader.iter_field(fieldname):
            if info.doc_frequency() >= threshold:
                found.append((fieldname, field.from_bytes(text), info.doc_frequency()))
    return found


def frequent_threshold(doc_count: int) -> int:
    return max(MIN_FREQUENT_DOCS, int(doc_count * FREQUENT_SHARE))


def write_term_rows(
    path: Path,
    doc_count: int,
    terms: Iterable[tuple[str, str, int]],
    postings: Callable[[str, str], tuple[array, array]],
) -> int:
    """Write rows for the given (fieldname, term, doc frequency) triples, commonest first, within
    MAX_ROWS_BYTES; returns the number of rows written."""
    chosen = sorted(terms, key=lambda t: (-t[2], t[0], t[1]))
    chosen = chosen[: MAX_ROWS_BYTES // max(doc_count, 1)]
    with open(path, "wb") as handle:
        header = {"format": FORMAT, "doc_count": doc_count, "rows": []}
        rows = bytearray()
        for fieldname, term, _ in chosen:
            row = bytearray(doc_count)
            docnums, weights = postings(fieldname, term)
            rounded = list(map(round, weights))
            if rounded and (min(rounded) < 1 or max(rounded) > 255):
                rounded = [min(255, max(1, weight)) for weight in rounded]
            # scattered by a C loop (map over the row's __setitem__), not a Python one
            collections.deque(map(row.__setitem__, docnums, rounded), maxlen=0)
            rows += row
            header["rows"].append([fieldname, term])
        handle.write(json.dumps(header).encode("utf-8") + b"\n")
        handle.write(rows)
    return len(chosen)


class TermRows:
    """The row index of a generation's terms.bin; rows themselves are read on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc_count = 0
        self._rows: dict[tuple[str, str], int] = {}
        self._data_start = 0
        try:
            with open(path, "rb") as handle:
                line = handle.readline()
        except FileNotFoundError:
            return  # a generation built before term rows: every term uses its postings
        header = json.loads(line)
        if header.get("format") != FORMAT:
            return
        self.doc_count = int(header["doc_count"])
        self._rows = {(f, t): number for number, (f, t) in enumerate(header["rows"])}
        self._data_start = len(line)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, fieldname: str, term: str) -> bytes | None:
        number = self._rows.get((fieldname, term))
        if number is None:
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            return os.pread(fd, self.doc_count, self._data_start + number * self.doc_count)
        finally:
            os.close(fd)
