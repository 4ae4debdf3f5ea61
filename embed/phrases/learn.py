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

from dataclasses import dataclass

import numpy as np

from embed.phrases.joiner import Joiner
from embed.phrases.keys import StringCounts, splits
from embed.phrases.pairs import PairTable
from embed.phrases.scoring import PhraseSettings, is_phrase, score, score_all


@dataclass
class Learned:
    joiner: Joiner
    phrases: dict[str, float]
    len_vocab: int
    n_words: int


def learn(words: list[str], index: dict[str, int], ids: np.ndarray, ends: np.ndarray,
          settings: PhraseSettings) -> Learned:
    """Learn phrases from an id stream.

    words: id -> token (``index`` the inverse); ids int32 [n]: the corpus; ends int64 [s]:
    sentence end offsets (increasing, last == n). Tokens may be listed with no occurrence.
    """
    counts = np.bincount(ids, minlength=len(words))
    table = PairTable.counted(ids, ends)
    a, b, _ = pairs = table.pairs()
    keys = StringCounts(words, index, counts, table, pairs, settings.delimiter)
    n_words, len_vocab = len(ids), keys.len_vocab
    mc, thr, kind, d = settings.min_count, settings.threshold, settings.kind, settings.delimiter

    def score_of(a: int, b: int, ab: int) -> float:
        return score(a, b, ab, len_vocab, mc, n_words, kind)

    # Neither scorer can pass a pair seen fewer than min_count times (default: the score is
    # <= 0 < threshold; npmi: -inf), so only those are scored.
    cand = np.flatnonzero(keys.clean_pairs & (keys.pair_counts >= mc))
    values = np.empty(len(cand), dtype=np.float64)
    score_all(counts[a[cand]], counts[b[cand]], keys.pair_counts[cand], len_vocab, mc, n_words,
              kind, values)
    keep = ~(values <= thr)
    triples = [(words[i], words[j], words[i] + d + words[j])
               for i, j in zip(a[cand[keep]].tolist(), b[cand[keep]].tolist())]
    phrases = {phrase: value for (_, _, phrase), value in zip(triples, values[keep].tolist())}

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
                triples.append((left, right, key))
    return Learned(Joiner.build(words, index, triples), phrases, len_vocab, n_words)


def _clean_pair_in_table(keys: StringCounts, left: str, right: str) -> bool:
    i, j = keys.index.get(left), keys.index.get(right)
    if i is None or j is None or keys.marked[i] or keys.marked[j]:
        return False
    return bool(keys.table.index([i], [j])[0] >= 0)
