"""What word2vec samples: negatives from unigram^0.75, and which frequent words to skip.

Both are plain arrays built once per training run and read by the numba kernels:

- ``negative_table(counts)`` -> int32 [T]: word ids repeated in proportion to count**0.75, so a
  uniform index into it draws a negative (word2vec.c's table, smaller: T <= 10 M entries).
- ``keep_probabilities(counts, sample)`` -> float32 [V]: the chance that one occurrence of each
  word survives subsampling, word2vec.c's formula (sqrt(f / (s*N)) + 1) * (s*N) / f, clipped to 1.

UNK (id 0) takes part in neither unless ``keep_unk`` is set: by default it is dropped from the
training stream, so it must not be drawn as a negative either, and it does not count in N.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.errors import EmbedError

POWER = 0.75
MAX_TABLE = 10_000_000
MIN_TABLE = 100_000


def negative_probabilities(counts: np.ndarray, keep_unk: bool = False,
                           power: float = POWER) -> np.ndarray:
    """float64 [V]: the probability of drawing each id as a negative (sums to 1)."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    if not keep_unk:
        weights[0] = 0.0
    total = weights.sum()
    if total <= 0:
        raise EmbedError("the vocabulary has no word to train (only UNK, or all counts zero)")
    return weights / total


def negative_table(counts: np.ndarray, keep_unk: bool = False, size: int | None = None,
                   power: float = POWER) -> np.ndarray:
    """int32 [size]: ids laid out so a uniform draw follows ``negative_probabilities``.

    ``size`` defaults to 200 entries per word, between 100 k and 10 M: enough that the rarest
    kept word still gets its share within rounding, small enough to stay in cache-friendly MBs.
    """
    p = negative_probabilities(counts, keep_unk, power)
    if size is None:
        size = int(min(MAX_TABLE, max(MIN_TABLE, 200 * len(p))))
    bounds = np.rint(np.cumsum(p) * size).astype(np.int64)
    bounds[-1] = size
    reps = np.diff(bounds, prepend=0)
    return np.repeat(np.arange(len(p), dtype=np.int32), reps)


def keep_probabilities(counts: np.ndarray, sample: float, keep_unk: bool = False) -> np.ndarray:
    """float32 [V]: word2vec's subsampling keep probability per id (1 when ``sample <= 0``)."""
    counts = np.asarray(counts, dtype=np.float64)
    keep = np.ones(len(counts), dtype=np.float64)
    if sample and sample > 0:
        trained = counts.copy()
        if not keep_unk:
            trained[0] = 0.0
        threshold = sample * trained.sum()
        nz = counts > 0
        f = counts[nz]
        keep[nz] = (np.sqrt(f / threshold) + 1.0) * threshold / f
    np.minimum(keep, 1.0, out=keep)
    return keep.astype(np.float32)


# ---- random numbers inside kernels -------------------------------------------------------------
# xorshift64 (Marsaglia 2003, shifts 13/7/17): three shifts and xors, no table, no GIL; each kernel
# call carries its own state, seeded from (run seed, epoch, chunk) so results do not depend on
# which thread picked up which chunk.

_S13 = np.uint64(13)
_S7 = np.uint64(7)
_S17 = np.uint64(17)
_S32 = np.uint64(32)
_S40 = np.uint64(40)
_INV24 = np.float32(1.0 / 16777216.0)


@njit(cache=True, nogil=True, inline="always")
def xorshift(state):
    """Next state of the generator (uint64, never 0 when seeded non-zero)."""
    state ^= state << _S13
    state ^= state >> _S7
    state ^= state << _S17
    return state


@njit(cache=True, nogil=True, inline="always")
def uniform(state):
    """float32 in [0, 1) from the top 24 bits of a state."""
    return np.float32(state >> _S40) * _INV24


@njit(cache=True, nogil=True, inline="always")
def below(state, n):
    """An int in [0, n) from the top 32 bits of a state, by multiply-shift (Lemire 2019): no
    64-bit division, which costs more than the generator itself. ``n`` < 2**32."""
    return np.int64(((state >> _S32) * np.uint64(n)) >> _S32)


def chunk_seed(seed: int, epoch: int, chunk: int) -> int:
    """A non-zero 64-bit generator seed for one chunk of one epoch (splitmix64 of the triple)."""
    x = (int(seed) * 0x9E3779B97F4A7C15 + int(epoch) * 0xBF58476D1CE4E5B9
         + int(chunk) * 0x94D049BB133111EB + 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 31
    return x or 0x2545F4914F6CDD1D


# ---- building blocks of every training kernel (inlined by numba) ---------------------------------

@njit(cache=True, nogil=True, inline="always")
def draw_negative(table, state):
    """One negative drawn from the unigram^0.75 table; return (id, state).

    The one rule for a draw equal to the positive word, shared by every kernel and by the
    layered path's example walkers: it is not redrawn; the caller drops it from that word's
    targets (word2vec.c's ``if (target == word) continue``).
    """
    state = xorshift(state)
    return table[below(state, table.shape[0])], state


@njit(cache=True, nogil=True, inline="always")
def reduced_window(state, window):
    """word2vec's random window shrink: a reach in [1, window] words; return (reach, state)."""
    state = xorshift(state)
    return window - below(state, window), state


@njit(cache=True, nogil=True, inline="always")
def window_span(i, reach, lo, hi):
    """Positions [start, stop) of centre ``i``'s window, clipped to its sentence [lo[i], hi[i])."""
    return max(lo[i], i - reach), min(hi[i], i + reach + 1)


@njit(cache=True, nogil=True, inline="always")
def draw_context(buf, i, lo, hi, window, state, ctx, mask):
    """Centre ``i``'s context: a ``reduced_window`` drawn, clipped to its sentence
    (``window_span``), and the words in it but the centre written into ``ctx`` (their ids from
    ``buf``, or with ``mask`` >= 0 their ring slots, position & mask: embed.w2v.window_rows);
    return (count, state)."""
    reach, state = reduced_window(state, window)
    start, stop = window_span(i, reach, lo, hi)
    m = 0
    for j in range(start, stop):
        if j != i:
            ctx[m] = buf[j] if mask < 0 else j & mask
            m += 1
    return m, state


@njit(cache=True, nogil=True)
def subsample(ids, ends, keep, keep_unk, state, buf, lo, hi):
    """Copy the ids of a chunk that survive subsampling into ``buf``; return (count, state).

    ids int32 [n]: one chunk of the corpus; ends int32 [s]: its sentences' end offsets in ids
    (the last is n). keep: ``keep_probabilities``; UNK (0) is dropped unless ``keep_unk``.
    lo / hi int32 [>= n] receive, for each kept position, the bounds of its sentence in ``buf``,
    so windows never cross a sentence end (``window_span``).
    """
    n = 0
    s0 = 0
    for e in ends:
        start = n
        for i in range(s0, e):
            w = ids[i]
            if w == 0 and not keep_unk:
                continue
            p = keep[w]
            if p < 1.0:
                state = xorshift(state)
                if uniform(state) >= p:
                    continue
            buf[n] = w
            n += 1
        for j in range(start, n):
            lo[j] = start
            hi[j] = n
        s0 = e
    return n, state
