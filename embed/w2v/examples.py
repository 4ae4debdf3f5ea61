"""Training examples for the layered path, drawn exactly as the fused kernels draw them.

The fused kernels never materialise examples; the layered path (``embed.nn`` layers, any
optimizer) needs them as arrays. These walkers go through a chunk in the fused kernels' order
with the same building blocks and the same random stream, so for one chunk and seed they yield
the very centre words, windows and negatives the kernels train on, block by block:

- ``sg_walk``: one row per centre word with contexts: its context ids, and its targets
  ``[centre, negatives that differ from it]`` (``ntargets`` of them, HogBatch's shared set);
- ``cbow_walk``: one row per CBOW group member with contexts: its context ids, and
  ``[centre, the group's shared negatives]`` (a negative equal to the centre is masked by the
  caller, as the kernel skips it); ``groups`` numbers the kernel block of each row.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.w2v.kernel_support import KERNEL_JIT
from embed.w2v.kernels_cbow import draw_shared, group_count, group_first, next_group
from embed.w2v.kernels_sg import draw_targets
from embed.w2v.sampling import draw_context, subsample


@njit(**KERNEL_JIT)
def sg_walk(syn1, ids, ends, keep, table, window, negative, keep_unk, seed, buf, lo, hi, pair,
            ctx, counts, targets, ntargets):
    """Skip-gram rows of one chunk (see the module doc); return (rows, context entries).

    Scratch: buf/lo/hi int32 [n], pair int32 [2, 1+negative]. Output: ctx int32
    [>= 2*window*n] (flattened contexts), counts/ntargets int32 [>= n], targets int32
    [>= n, 1+negative] ([:, 0] the centre). ``syn1`` is only prefetched, as the kernel does.
    """
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    if n == 0:
        return 0, 0
    rows = 0
    e = 0
    cur = 0
    nt, state = draw_targets(syn1, table, buf[0], negative, state, pair[0])
    for i in range(n):
        cur_nt = nt
        if i + 1 < n:
            nt, state = draw_targets(syn1, table, buf[i + 1], negative, state, pair[1 - cur])
        m, state = draw_context(buf, i, lo, hi, window, state, ctx[e:], -1)
        e += m
        if m > 0:
            counts[rows] = m
            ntargets[rows] = cur_nt
            for t in range(cur_nt):
                targets[rows, t] = pair[cur, t]
            rows += 1
        cur = 1 - cur
    return rows, e


@njit(**KERNEL_JIT)
def cbow_walk(ids, ends, keep, table, window, negative, keep_unk, seed, group, buf, lo, hi,
              gctx, gcnt, gcentres, negs, ctx, counts, targets, groups):
    """CBOW rows of one chunk (see the module doc); return (rows, context entries).

    Scratch: buf/lo/hi int32 [n], gctx int32 [group, 2*window], gcnt/gcentres int32 [group],
    negs int32 [2, negative]. Output: ctx int32 [>= 2*window*n], counts/groups int32 [>= n],
    targets int32 [>= n, 1+negative].
    """
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    rows = 0
    e = 0
    cur = 0
    state = draw_shared(table, negative, state, negs[0])
    for q in range(group_count(n, window, group)):
        if group_first(q, window, group) >= n:
            continue
        nxt = 1 - cur
        state = draw_shared(table, negative, state, negs[nxt])
        gsz, state = next_group(buf, n, lo, hi, q, window, group, state, gctx, gcnt, gcentres,
                                -1)
        for b in range(gsz):
            m = gcnt[b]
            if m == 0:
                continue
            for a in range(m):
                ctx[e] = gctx[b, a]
                e += 1
            counts[rows] = m
            groups[rows] = q
            targets[rows, 0] = gcentres[b]
            for j in range(negative):
                targets[rows, 1 + j] = negs[cur, j]
            rows += 1
        cur = nxt
    return rows, e
