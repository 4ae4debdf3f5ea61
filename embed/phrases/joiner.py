"""Join phrases into single tokens, greedily left to right, as gensim 4's ``analyze_sentence``.

Within a sentence the first token waits for the next: if the two form a phrase they are
emitted as one token and the token after them starts afresh (a pass never chains a phrase into
a longer one: two passes give up to four words), otherwise the first is emitted alone and the
second waits. No phrase spans a sentence end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Callable

import numpy as np
from numba import njit

from embed.phrases.keys import marked_words, splits
from embed.phrases.pairs import PairTable, find_pair, pair_key
from embed.phrases.words import WordIndex


@njit(cache=True, nogil=True)
def _join(ids, ends, cells, where, values, out_ids, out_ends):
    """Greedy joining of every sentence; returns the number of output tokens.

    ids int32 [n] (>= 0), ends int64 [s] (sentence end offsets); ``cells``/``where`` a pair
    table whose pair p is a phrase with output id ``values[p]`` (int32). out_ids int32 [>= n]
    and out_ends int64 [s] are written (every sentence keeps at least one token, so out_ends
    stays strictly increasing).
    """
    n = 0
    start = 0
    for s in range(ends.shape[0]):
        end = ends[s]
        first = -1
        for i in range(start, end):
            w = ids[i]
            if first < 0:
                first = w
                continue
            p = find_pair(cells, where, pair_key(first, w))
            if p >= 0:
                out_ids[n] = values[p]
                first = -1
            else:
                out_ids[n] = first
                first = w
            n += 1
        if first >= 0:
            out_ids[n] = first
            n += 1
        out_ends[s] = n
        start = end
    return n


def join_greedy(tokens: list, phrase_of: Callable[[object, object], object]) -> list:
    """The same rule over any tokens: ``phrase_of(a, b)`` is the joined token or None."""
    out, first = [], None
    for token in tokens:
        if first is None:
            first = token
            continue
        joined = phrase_of(first, token)
        if joined is not None:
            out.append(joined)
            first = None
        else:
            out.append(first)
            first = token
    if first is not None:
        out.append(first)
    return out


@dataclass
class Joiner:
    """Which adjacent token pairs are phrases, and the token each becomes.

    ``index`` maps the input tokens this joiner knows to ids; pair (a, b) of known ids with
    table index p becomes output id ``values[p]``; ``out_words`` spells output ids (the input
    ids first, then the new phrase tokens). ``string_pairs`` holds the rare phrases whose parts
    are not both known tokens (a merged key split elsewhere; see ``keys.py``).
    """

    index: Mapping[str, int]
    out_words: list[str]
    table: PairTable
    values: np.ndarray
    string_pairs: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def build(cls, words: list[str], index: Mapping[str, int], delimiter: str,
              known: list[tuple[int, int, str]],
              loose: list[tuple[str, str, str]] = ()) -> "Joiner":
        """From (left id, right id, phrase) and (left, right, phrase) triples; string pairs
        whose tokens are not in ``index`` are kept as strings."""
        known = list(known)
        string_pairs = {}
        for left, right, phrase in loose:
            i, j = index.get(left), index.get(right)
            if i is None or j is None:
                string_pairs[(left, right)] = phrase
            else:
                known.append((i, j, phrase))
        out_words = list(words)
        # a phrase spelled like an existing token is that token: only tokens holding the
        # delimiter can be
        out_index = {words[i]: i for i in np.flatnonzero(marked_words(words, delimiter)).tolist()
                     if delimiter in words[i]}
        a, b, values = [], [], []
        for i, j, phrase in known:
            v = out_index.get(phrase)
            if v is None:
                v = out_index[phrase] = len(out_words)
                out_words.append(phrase)
            a.append(i)
            b.append(j)
            values.append(v)
        table = PairTable.of_pairs(np.array(a, dtype=np.int32), np.array(b, dtype=np.int32))
        return cls(index, out_words, table, np.array(values, dtype=np.int32), string_pairs)

    @classmethod
    def from_phrases(cls, phrases: dict[str, float], delimiter: str) -> "Joiner":
        """gensim's FrozenPhrases rule: a pair joins when its joined string is listed, whatever
        the counts behind it."""
        triples = [(left, right, phrase) for phrase in phrases
                   for left, right in splits(phrase, delimiter)]
        words = list(dict.fromkeys(token for left, right, _ in triples for token in (left, right)))
        return cls.build(words, WordIndex(words), delimiter, [], triples)

    @property
    def new_index(self) -> WordIndex:
        """Output token -> id (the next pass's index)."""
        return WordIndex(self.out_words)

    def join_ids(self, ids: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(output ids int32, output sentence ends int64) for a stream of known ids."""
        out_ids = np.empty(len(ids), dtype=np.int32)
        out_ends = np.empty(len(ends), dtype=np.int64)
        n = _join(ids, ends, self.table.cells, self.table.where, self.values, out_ids, out_ends)
        return out_ids[:n], out_ends

    def phrase_of(self, left: str, right: str) -> str | None:
        """The joined token for two string tokens, or None."""
        i, j = self.index.get(left), self.index.get(right)
        if i is None or j is None:
            return self.string_pairs.get((left, right))
        p = int(self.table.index([i], [j])[0])
        return self.out_words[self.values[p]] if p >= 0 else None
