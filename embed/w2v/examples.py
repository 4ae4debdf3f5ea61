"""Training examples for the layered path (non-SGD optimizers, hypergradient, full softmax).

The fused kernels never materialise examples; the layered path needs them as arrays to feed
``Embedding`` -> loss -> optimizer. ``window_examples`` walks a chunk as the fused kernels do
(the same subsampling, reduced window and negative table; its own random stream) and writes
one row per centre word: its context ids and ``[centre, k negatives]``. CBOW averages each
row's contexts; skip-gram makes one example per (context, centre) pair, the k negatives shared
by all contexts of one centre (HogBatch).

A negative equal to its row's centre word is redrawn (up to 8 times) so every row has k.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.w2v.sampling import below, subsample, xorshift


@njit(cache=True, nogil=True)
def _negatives(table, w, negative, state, out_row):
    tsize = table.shape[0]
    for j in range(negative):
        t = w
        for _ in range(8):
            state = xorshift(state)
            t = table[below(state, tsize)]
            if t != w:
                break
        out_row[1 + j] = t
    return state


@njit(cache=True, nogil=True)
def window_examples(ids, keep, table, window, negative, keep_unk, seed, buf, ctx, counts,
                    targets):
    """One row per centre word with a non-empty window: fill ctx int32 [>= 2*window*n] (its
    context ids, flattened), counts int32 [>= n] (how many) and targets int32
    [>= n, 1+negative] ([centre, negatives]); return (rows, context entries).

    CBOW feeds the rows as they are; skip-gram repeats each row's targets for each of its
    context ids (``np.repeat(targets[:rows], counts[:rows], axis=0)``).
    """
    state = np.uint64(seed)
    n, state = subsample(ids, keep, keep_unk, state, buf)
    r = 0
    e = 0
    for i in range(n):
        w = buf[i]
        state = xorshift(state)
        reach = window - below(state, window)
        e0 = e
        for j in range(max(0, i - reach), min(n, i + reach + 1)):
            if j != i:
                ctx[e] = buf[j]
                e += 1
        if e == e0:
            continue
        counts[r] = e - e0
        targets[r, 0] = w
        state = _negatives(table, w, negative, state, targets[r])
        r += 1
    return r, e
