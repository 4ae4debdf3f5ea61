"""Training examples for the layered path (non-SGD optimizers, hypergradient, full softmax).

The fused kernels never materialise examples; the layered path needs them as arrays to feed
``Embedding`` -> loss -> optimizer. These kernels walk a chunk exactly as the fused ones do
(subsampling, reduced window, negatives from the same table) and write:

- skip-gram: one row per (context, centre) pair: ``inputs[r]`` the context id, ``targets[r]``
  = [centre, k negatives], the negatives shared by all contexts of one centre (HogBatch).
- CBOW: one row per centre word: its context ids flattened into ``ctx`` with ``counts[r]`` of
  them, ``targets[r]`` = [centre, k negatives].

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
def skipgram_examples(ids, keep, table, window, negative, keep_unk, seed, buf, inputs, targets):
    """Fill inputs int32 [>= 2*window*n] and targets int32 [same, 1+negative]; return rows."""
    state = np.uint64(seed)
    n, state = subsample(ids, keep, keep_unk, state, buf)
    r = 0
    for i in range(n):
        w = buf[i]
        state = xorshift(state)
        reach = window - below(state, window)
        r0 = r
        for j in range(max(0, i - reach), min(n, i + reach + 1)):
            if j != i:
                inputs[r] = buf[j]
                r += 1
        if r == r0:
            continue
        targets[r0, 0] = w
        state = _negatives(table, w, negative, state, targets[r0])
        for q in range(r0 + 1, r):
            for j in range(negative + 1):
                targets[q, j] = targets[r0, j]
    return r


@njit(cache=True, nogil=True)
def cbow_examples(ids, keep, table, window, negative, keep_unk, seed, buf, ctx, counts, targets):
    """Fill ctx int32 [>= 2*window*n] (flattened), counts int32 [>= n] and targets
    int32 [>= n, 1+negative]; return (rows, context entries)."""
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
