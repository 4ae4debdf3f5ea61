"""gensim counts strings, not pairs: the counts of its vocabulary when tokens hold the delimiter.

gensim's ``Phrases.vocab`` is one dict over words and delimiter-joined bigrams, so keys can
merge: the bigram (new, york) and a token ``new_york`` (say from an earlier pass) are both
``"new_york"`` and share one count, as are the bigrams (new_york, city) and (new, york_city).
That merged count is what gensim scores with, and ``len(vocab)`` counts merged keys once.

Only tokens that contain a delimiter character can take part in such a merge: a bigram of two
clean tokens has exactly one delimiter, in the middle, so its key is unique among bigram keys
and no clean word equals it. This module therefore handles only those "marked" tokens and the
bigrams touching them as Python strings (none at all on plain text; on a second pass the
phrases of the first), while the bulk of the pairs stay integer ids in the numba table.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Iterator

import numpy as np

from embed.phrases.pairs import PairTable


def splits(key: str, delimiter: str) -> Iterator[tuple[str, str]]:
    """Every (left, right) with left + delimiter + right == key (overlapping matches too)."""
    k = key.find(delimiter)
    while k >= 0:
        yield key[:k], key[k + len(delimiter):]
        k = key.find(delimiter, k + 1)


def marked_words(words: list[str], delimiter: str) -> np.ndarray:
    """bool [len(words)]: the words containing a character of the delimiter."""
    chars = "".join(sorted(set(delimiter)))
    sep = next(c for c in "\n\t\x00 abc" if c not in chars)
    if not re.search(f"[{re.escape(chars)}]", sep.join(words)):  # plain text: one C scan
        return np.zeros(len(words), dtype=bool)
    if len(delimiter) == 1:
        return np.fromiter((delimiter in w for w in words), dtype=bool, count=len(words))
    return np.fromiter((not set(chars).isdisjoint(w) for w in words), dtype=bool,
                       count=len(words))


class StringCounts:
    """The count gensim's vocabulary dict would hold for any string, and ``len(vocab)``.

    ``words`` / ``index``: id <-> token; ``counts`` int64 [len(words)] (a token never seen
    counts 0 and is no key); ``table``: the bigram counts. Attributes: ``marked`` (bool per
    word: holds a delimiter character), ``merged`` (string -> count for every key involving a
    marked token), ``same`` (table index -> merged count, for the pairs of clean tokens spelled
    like a marked token: their key's count is not their own) and ``len_vocab``.
    """

    def __init__(self, words: list[str], index: Mapping[str, int], counts: np.ndarray,
                 table: PairTable, delimiter: str):
        self.words, self.index, self.counts = words, index, counts
        self.table, self.delimiter = table, delimiter
        self.marked = marked_words(words, delimiter)
        self.merged: dict[str, int] = {}
        self.same: dict[int, int] = {}
        live_marked = np.flatnonzero(self.marked & (counts > 0)).tolist()
        if not live_marked:  # plain text: every key is a word or a clean pair
            self.len_vocab = int(np.count_nonzero(counts)) + len(table)
            return
        merged = self.merged
        for w in live_marked:
            merged[words[w]] = int(counts[w])
        touching, a, b, pair_counts = table.touching(self.marked)
        for i, j, count in zip(a.tolist(), b.tolist(), pair_counts.tolist()):
            key = words[i] + delimiter + words[j]
            merged[key] = merged.get(key, 0) + count
        # A marked token spelled as a clean bigram: one key, the two counts added.
        spelled = {}
        for w in live_marked:
            p = self._clean_pair(words[w])
            if p >= 0:
                merged[words[w]] += self._own_count(p)
                spelled[p] = words[w]
        self.same = {p: merged[word] for p, word in spelled.items()}
        n_clean_words = int(np.count_nonzero((counts > 0) & ~self.marked))
        n_clean_pairs = len(table) - len(touching)
        self.len_vocab = n_clean_words + n_clean_pairs + len(merged) - len(self.same)

    def _own_count(self, p: int) -> int:
        return int(self.table.at([p])[2][0])

    def _clean_pair(self, key: str) -> int:
        """Table index of the pair of clean tokens spelled ``key``, or -1 (at most one is)."""
        for left, right in splits(key, self.delimiter):
            i, j = self.index.get(left), self.index.get(right)
            if i is not None and j is not None and not (self.marked[i] or self.marked[j]):
                return int(self.table.index([i], [j])[0])
        return -1

    def get(self, key: str) -> int:
        """gensim's ``vocab.get(key, 0)``."""
        count = self.merged.get(key)
        if count is not None:
            return count
        i = self.index.get(key)
        if i is not None and not self.marked[i]:
            return int(self.counts[i])
        p = self._clean_pair(key)
        if p < 0:
            return 0
        return self.same[p] if p in self.same else self._own_count(p)
