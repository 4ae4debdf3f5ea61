"""Training examples of the subword kernels, drawn exactly as they draw them (for the layered
path, `embed.w2v.layered_subword`).

- ``sg_subword_walk``: one row per kernel block: the centre word and its number of contexts;
  the contexts (flattened) and, for each context, the negatives of its shared set;
- ``cbow_subword_walk``: one row per centre word with a context: its position in the kept
  words, its context positions (flattened) and its negatives (drawn one centre ahead, as the
  kernel draws them); the kept words stay in ``buf``.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.w2v.kernel_support import KERNEL_JIT
from embed.w2v.kernels_sg import MAX_BLOCK
from embed.w2v.kernels_subword_cbow import draw_ahead
from embed.w2v.kernels_subword_sg import draw_shared
from embed.w2v.sampling import reduced_window, subsample, window_span


@njit(**KERNEL_JIT)
def sg_subword_walk(syn1, ids, ends, keep, table, window, negative, share, keep_unk, seed, buf,
                    lo, hi, sets, centres, counts, ctx, negs):
    """Blocks of one chunk; return (blocks, context entries). Scratch: buf/lo/hi int32 [n],
    sets int32 [MAX_BLOCK * negative]. Output: centres/counts int32
    [>= n * ceil(2*window / MAX_BLOCK)], ctx int32 [>= 2*window*n], negs int32
    [>= 2*window*n, negative] (row e: context e's negatives). ``syn1`` is only prefetched."""
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    rows = 0
    e = 0
    for i in range(n):
        reach, state = reduced_window(state, window)
        start, stop = window_span(i, reach, lo, hi)
        m = 0
        for j in range(start, stop):
            if j != i:
                ctx[e + m] = buf[j]
                m += 1
        for s in range(0, m, MAX_BLOCK):
            mb = min(MAX_BLOCK, m - s)
            state = draw_shared(syn1, table, ((mb + share - 1) // share) * negative, state,
                                sets)
            for a in range(mb):
                q = a // share
                for t in range(negative):
                    negs[e + a, t] = sets[q * negative + t]
            centres[rows] = buf[i]
            counts[rows] = mb
            rows += 1
            e += mb
    return rows, e


@njit(**KERNEL_JIT)
def cbow_subword_walk(syn1, ids, ends, keep, table, window, negative, keep_unk, seed, buf, lo,
                      hi, pair, positions, ctxpos, counts, negs):
    """Centre words of one chunk; return (kept words, rows, context entries).
    Scratch: lo/hi int32 [n], pair int32 [2, negative]; buf int32 [n] receives the kept
    words. Output: positions/counts int32 [>= n], ctxpos int32 [>= 2*window*n], negs int32
    [>= n, negative]. Every centre's negatives are drawn one centre ahead, as the kernel
    draws them (a centre without a context wastes its draws). ``syn1`` is only prefetched."""
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    rows = 0
    e = 0
    cur = 0
    state = draw_ahead(syn1, table, negative, state, pair[0])
    for i in range(n):
        reach, state = reduced_window(state, window)
        if i + 1 < n:
            state = draw_ahead(syn1, table, negative, state, pair[1 - cur])
        start, stop = window_span(i, reach, lo, hi)
        m = 0
        for j in range(start, stop):
            if j != i:
                ctxpos[e + m] = j
                m += 1
        if m > 0:
            for t in range(negative):
                negs[rows, t] = pair[cur, t]
            positions[rows] = i
            counts[rows] = m
            e += m
            rows += 1
        cur = 1 - cur
    return n, rows, e
