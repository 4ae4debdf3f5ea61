"""One pass of phrase learning: count, score, and decide which pairs join.

The result matches gensim 4's ``Phrases(sentences, min_count, threshold, scoring,
connector_words=frozenset())`` without vocabulary pruning in both of its views:

- ``phrases``: ``Phrases.export_phrases()``, every vocabulary key with a delimiter scored from
  its first and last delimiter-separated parts;
- ``joiner``: what ``Phrases[sentence]`` joins, each adjacent pair (a, b) scored from the
  counts of a, b and a + delimiter + b.

They differ only when tokens contain the delimiter (see ``keys.py``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numba import njit

from embed.phrases.joiner import Joiner
from embed.phrases.keys import StringCounts, splits
from embed.phrases.pairs import PairTable, unpack_key
from embed.phrases.scoring import PhraseSettings, is_phrase, score


@dataclass
class Learned:
    joiner: Joiner
    phrases: dict[str, float]
    len_vocab: int
    n_words: int


@njit(cache=True, nogil=True)
def _count_words(ids, counts):
    for i in range(ids.shape[0]):
        counts[ids[i]] += 1


@njit(cache=True, nogil=True, error_model="numpy")
def _clean_phrases(cells, where, counts, marked, min_count, len_vocab, n_words, kind, threshold,
                   found, values):
    """Score, in one sweep of the pair table, the pairs of clean tokens seen at least
    ``min_count`` times (neither scorer passes the others: default scores <= 0, npmi -inf).

    counts int64 [words]; marked bool [words]; found int64 / values float64 [len(table)]
    receive the table index and score of each pair above ``threshold``. Returns how many.
    """
    n = 0
    for slot in range(cells.shape[0]):
        key = cells[slot, 0]
        if key == 0 or cells[slot, 1] < min_count:
            continue
        a, b = unpack_key(key)
        if marked[a] or marked[b]:
            continue
        s = score(counts[a], counts[b], np.int64(cells[slot, 1]), len_vocab, min_count, n_words,
                  kind)
        if not s <= threshold:
            found[n] = where[slot]
            values[n] = s
            n += 1
    return n


def learn(words: list[str], index: Mapping[str, int], ids: np.ndarray, ends: np.ndarray,
          settings: PhraseSettings) -> Learned:
    """Learn phrases from an id stream.

    words: id -> token (``index`` the inverse); ids int32 [n]: the corpus; ends int64 [s]:
    sentence end offsets (increasing, last == n). Tokens may be listed with no occurrence.
    """
    counts = np.zeros(len(words), dtype=np.int64)
    _count_words(ids, counts)
    table = PairTable.counted(ids, ends)
    keys = StringCounts(words, index, counts, table, settings.delimiter)
    n_words, len_vocab = len(ids), keys.len_vocab
    mc, thr, kind, d = settings.min_count, settings.threshold, settings.kind, settings.delimiter

    def score_of(a: int, b: int, ab: int) -> float:
        return score(a, b, ab, len_vocab, mc, n_words, kind)

    found = np.empty(len(table), dtype=np.int64)
    values = np.empty(len(table), dtype=np.float64)
    k = _clean_phrases(table.cells, table.where, counts, keys.marked, mc, len_vocab, n_words,
                       kind, thr, found, values)
    scored = dict(zip(found[:k].tolist(), values[:k].tolist()))
    for p, merged in keys.same.items():  # clean pairs whose key also counts a marked token
        scored.pop(p, None)
        a, b, _ = table.at([p])
        if merged >= mc and is_phrase(value := score_of(counts[a[0]], counts[b[0]], merged), thr):
            scored[p] = value
    chosen = sorted(scored)  # first-seen order
    a, b, _ = table.at(chosen)
    known = [(i, j, words[i] + d + words[j]) for i, j in zip(a.tolist(), b.tolist())]
    phrases = {phrase: scored[p] for p, (_, _, phrase) in zip(chosen, known)}

    loose = []
    for key, ab in keys.merged.items():
        if ab < mc:
            continue
        parts = key.split(d)
        if len(parts) >= 2:
            ca, cb = keys.get(parts[0]), keys.get(parts[-1])
            if ca > 0 and cb > 0 and is_phrase(value := score_of(ca, cb, ab), thr):
                phrases[key] = value
        for left, right in splits(key, d):
            if _clean_pair_in_table(keys, left, right):
                continue  # scored above, with this merged count
            ca, cb = keys.get(left), keys.get(right)
            if ca > 0 and cb > 0 and is_phrase(score_of(ca, cb, ab), thr):
                loose.append((left, right, key))
    return Learned(Joiner.build(words, index, d, known, loose), phrases, len_vocab, n_words)


def _clean_pair_in_table(keys: StringCounts, left: str, right: str) -> bool:
    i, j = keys.index.get(left), keys.index.get(right)
    if i is None or j is None or keys.marked[i] or keys.marked[j]:
        return False
    return bool(keys.table.index([i], [j])[0] >= 0)
