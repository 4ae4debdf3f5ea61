"""Bigram scores: word2vec's formula and normalised PMI, with the settings that go with them.

Both follow gensim 4's ``original_scorer`` / ``npmi_scorer`` operation for operation, so a score
here is the same float64 as gensim's (compiled without fastmath: reassociating the division or
a vectorised ``log`` would change the last bits, and equality with gensim is tested).

- default (Mikolov et al. 2013, eq. 6): ``(count(ab) - min_count) / (count(a) * count(b)) * V``
  where V is the number of distinct keys counted (words and joined bigrams; see ``keys.py``).
- npmi (Bouma 2009): ``ln(p(ab) / (p(a) p(b))) / -ln(p(ab))`` with p = count / corpus words,
  and -inf when count(ab) < min_count. It lies in [-1, 1].

A pair is a phrase when its score is above the threshold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from embed.errors import EmbedError

SCORERS = ("default", "npmi")
DEFAULT, NPMI = 0, 1


@dataclass(frozen=True)
class PhraseSettings:
    """How phrases are found and written; validated on creation (EmbedError)."""

    min_count: int = 5
    threshold: float = 100.0
    scoring: str = "default"
    delimiter: str = "_"

    def __post_init__(self):
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, (int, np.integer)):
            raise EmbedError(f"min_count must be a whole number, got {self.min_count!r}")
        if self.min_count < 1:
            raise EmbedError(f"min_count must be at least 1, got {self.min_count}")
        try:
            threshold = float(self.threshold)
        except (TypeError, ValueError):
            raise EmbedError(f"threshold must be a number, got {self.threshold!r}") from None
        if not math.isfinite(threshold):
            raise EmbedError(f"threshold must be a finite number, got {self.threshold!r}")
        if self.scoring not in SCORERS:
            raise EmbedError(f"scoring must be one of {', '.join(SCORERS)}, got {self.scoring!r}")
        if self.scoring == "default" and threshold <= 0:
            raise EmbedError(f"threshold must be positive for default scoring, got {threshold:g}")
        if self.scoring == "npmi" and not -1 <= threshold <= 1:
            raise EmbedError(f"threshold must be between -1 and 1 for npmi scoring, "
                             f"got {threshold:g}")
        if not isinstance(self.delimiter, str) or not self.delimiter:
            raise EmbedError(f"delimiter must be a non-empty string, got {self.delimiter!r}")
        object.__setattr__(self, "min_count", int(self.min_count))
        object.__setattr__(self, "threshold", threshold)

    @property
    def kind(self) -> int:
        return NPMI if self.scoring == "npmi" else DEFAULT


@njit(cache=True, nogil=True, error_model="numpy")
def score(a_count, b_count, ab_count, len_vocab, min_count, n_words, kind):
    """Score of bigram ab from its counts (all ints): float64, -inf for never a phrase."""
    if kind == NPMI:
        if ab_count < min_count:
            return -np.inf
        n = float(n_words)
        pa = a_count / n
        pb = b_count / n
        pab = ab_count / n
        ratio = pab / (pa * pb)
        if not ratio > 0.0:  # gensim: log raises ValueError -> never a phrase
            return -np.inf
        return math.log(ratio) / -math.log(pab)
    denom = a_count * b_count
    if denom == 0:
        return -np.inf
    return (ab_count - min_count) / float(denom) * float(len_vocab)


@njit(cache=True, nogil=True, error_model="numpy")
def score_all(a_counts, b_counts, ab_counts, len_vocab, min_count, n_words, kind, out):
    """out[i] = score(a_counts[i], b_counts[i], ab_counts[i], ...); all int64 [n], out float64."""
    for i in range(ab_counts.shape[0]):
        out[i] = score(a_counts[i], b_counts[i], ab_counts[i], len_vocab, min_count, n_words,
                       kind)


def is_phrase(value: float, threshold: float) -> bool:
    # gensim rejects ``score <= threshold``; written the same way so a NaN would behave alike
    return not value <= threshold
