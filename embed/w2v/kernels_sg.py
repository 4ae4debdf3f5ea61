"""Skip-gram fused kernel: HogBatch (Ji et al. 2016), the fast default.

For each centre word w the context rows C = syn0[ctx] (m x dim) all predict the same targets:
w as the positive and ONE set of k negatives shared by the m contexts. The scores C @ T.T, the
gradients and both updates are small dense blocks computed from the values before the step, so
one centre word costs m*(k+1) dot products but only k random draws and k+1 output rows fetched
once. (word2vec.c draws k fresh negatives for every (context, centre) pair.)

Tables: ``syn0`` float32 [V, dim] input vectors, ``syn1`` float32 [V, dim] output weights; both
are updated in place without locks (Hogwild) by whichever thread runs the kernel.

``sg_block`` takes each target's code (its logistic label is 1 - code, word2vec.c's convention):
``ns_codes`` for [positive, negatives], or the centre's Huffman path, against the rows of the
tree's node table, for hierarchical softmax (``--hs``, see ``kernels_hs``): the same block.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.nn.losses import logistic_loss_scalar
from embed.w2v.kernel_support import (KERNEL_JIT, axpy, axpy4, axpy44, dot, dot4, dot44,
                                      prefetch_row, sigmoid_fast)
from embed.w2v.kernels_hs import hot_of, hot_prefix, load_hot, prefetch_path, store_hot, tree_of
from embed.w2v.sampling import draw_context, draw_negative, subsample
from embed.w2v.window_rows import load_rows, make_ring, store_rows

# Context rows per HogBatch step. Every row of a step pushes the shared output rows from the same
# stale values, so the positive's row moves by up to m single-pair steps at once; with wide
# windows (and a small vocabulary, where the contexts repeat) that diverges. Blocks of at most
# 10 rows (the whole context at the default window 5) bound it whatever the window.
MAX_BLOCK = 10
# The same bound for the steps against a centre's Huffman path (hierarchical softmax), whose top
# nodes are on every path: blocks of 4 scored 0.178 analogy accuracy on the bench corpus against
# 0.167 for blocks of 10 (4 seeds; gensim 0.17-0.19), for 6% fewer words per second.
HS_BLOCK = 4
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(**KERNEL_JIT, inline="always")
def score_block(syn0, syn1, ctx, m, targets, codes, nt, alpha, g, want_loss):
    """The first half of a block step: g[a, t] = (label - sigmoid(syn0[ctx[a]] . syn1[targets[t]]))
    * alpha for the m x nt (input, target) pairs, label 1 - codes[t]; return their summed
    logistic loss (0 unless ``want_loss``)."""
    four = nt - nt % 4
    rows = m - m % 4
    for a in range(0, rows, 4):     # the scores, 4 x 4 a pass
        c0, c1, c2, c3 = ctx[a], ctx[a + 1], ctx[a + 2], ctx[a + 3]
        for t in range(0, four, 4):
            (g[a, t], g[a, t + 1], g[a, t + 2], g[a, t + 3],
             g[a + 1, t], g[a + 1, t + 1], g[a + 1, t + 2], g[a + 1, t + 3],
             g[a + 2, t], g[a + 2, t + 1], g[a + 2, t + 2], g[a + 2, t + 3],
             g[a + 3, t], g[a + 3, t + 1], g[a + 3, t + 2], g[a + 3, t + 3]) = dot44(
                syn0, c0, c1, c2, c3, syn1, targets[t], targets[t + 1], targets[t + 2],
                targets[t + 3])
        for t in range(four, nt):
            g[a, t], g[a + 1, t], g[a + 2, t], g[a + 3, t] = dot4(syn1, targets[t], syn0, c0, c1,
                                                                  c2, c3)
    for a in range(rows, m):    # the rest, four targets a pass
        c = ctx[a]
        for t in range(0, four, 4):
            g[a, t], g[a, t + 1], g[a, t + 2], g[a, t + 3] = dot4(
                syn0, c, syn1, targets[t], targets[t + 1], targets[t + 2], targets[t + 3])
        for t in range(four, nt):
            g[a, t] = dot(syn0, c, syn1, targets[t])
    loss = 0.0
    if want_loss:
        for a in range(m):
            for t in range(nt):
                loss += logistic_loss_scalar(g[a, t], _ONE - np.float32(codes[t]))
    for a in range(m):          # their gradients apart: no call, no branch (vectorized)
        for t in range(nt):
            g[a, t] = (_ONE - np.float32(codes[t]) - sigmoid_fast(g[a, t])) * alpha
    return loss


@njit(**KERNEL_JIT, inline="always")
def sg_block(syn0, syn1, ctx, m, targets, codes, nt, alpha, g, grad, want_loss):
    """One HogBatch step; return the summed logistic loss (0 unless ``want_loss``). Inlined
    (with ``score_block``) into the chunk kernel: as calls, the views passed per block (the
    block's contexts, the centre's path) were reference-counted, atomically, on every call.

    ctx int32 [>= m]: input rows; targets int32 [>= nt]: rows of ``syn1``, target t with label
    1 - codes[t] (codes uint8 [>= nt]; ``ns_codes``: targets[0] the positive, the rest
    negatives); g float32 [>= m, >= nt] and grad float32 [>= m, dim] are scratch. The update
    equals SGD with learning rate ``alpha`` on the summed logistic loss of the m x nt (context,
    target) pairs, every gradient taken at the values before the step.
    """
    for a in range(m):
        for d in range(syn0.shape[1]):
            grad[a, d] = _ZERO
    loss = block_part(syn0, syn1, ctx, m, targets, codes, nt, alpha, g, grad, want_loss)
    for a in range(m):
        axpy(syn0, ctx[a], _ONE, grad, a)
    return loss


@njit(**KERNEL_JIT, inline="always")
def block_part(syn0, syn1, ctx, m, targets, codes, nt, alpha, g, grad, want_loss):
    """``sg_block`` but the input rows' step: the scores of the m x nt pairs, their gradients
    added into grad[:m] (from the target rows before their step), then the target rows' steps.
    Targets in two tables (the centre's path partly in a thread's copy of the top of the tree)
    are two parts between one zeroing of grad and one step of the input rows: the same step,
    since no part reads what another writes."""
    loss = score_block(syn0, syn1, ctx, m, targets, codes, nt, alpha, g, want_loss)
    four = nt - nt % 4
    rows = m - m % 4
    for a in range(0, rows, 4):     # the input rows' steps, 4 x 4 a pass, from the target rows
        for t in range(0, four, 4):     # before theirs
            axpy44(grad, a, a + 1, a + 2, a + 3, g, a, t, False, syn1, targets[t],
                   targets[t + 1], targets[t + 2], targets[t + 3])
        for t in range(four, nt):
            for r in range(a, a + 4):
                axpy(grad, r, g[r, t], syn1, targets[t])
    for a in range(rows, m):
        for t in range(0, four, 4):
            axpy4(grad, a, g[a, t], g[a, t + 1], g[a, t + 2], g[a, t + 3], syn1, targets[t],
                  targets[t + 1], targets[t + 2], targets[t + 3])
        for t in range(four, nt):
            axpy(grad, a, g[a, t], syn1, targets[t])
    for t in range(0, four, 4):     # the target rows' steps, 4 x 4 a pass
        for a in range(0, rows, 4):
            axpy44(syn1, targets[t], targets[t + 1], targets[t + 2], targets[t + 3], g, a, t,
                   True, syn0, ctx[a], ctx[a + 1], ctx[a + 2], ctx[a + 3])
        for a in range(rows, m):
            for r in range(t, t + 4):
                axpy(syn1, targets[r], g[a, r], syn0, ctx[a])
    for t in range(four, nt):
        r = targets[t]
        for a in range(0, rows, 4):
            axpy4(syn1, r, g[a, t], g[a + 1, t], g[a + 2, t], g[a + 3, t], syn0, ctx[a],
                  ctx[a + 1], ctx[a + 2], ctx[a + 3])
        for a in range(rows, m):
            axpy(syn1, r, g[a, t], syn0, ctx[a])
    return loss


def ns_codes(negative: int) -> np.ndarray:
    """uint8 [1 + negative]: the codes of [positive, negatives] (label 1, then 0s)."""
    codes = np.ones(negative + 1, np.uint8)
    codes[0] = 0
    return codes


@njit(**KERNEL_JIT)
def draw_targets(syn1, table, w, negative, state, row):
    """row[0] = w, then the ``negative`` draws that differ from w, prefetching each output row;
    return (targets written, state)."""
    row[0] = w
    prefetch_row(syn1, w)
    nt = 1
    for _ in range(negative):
        t, state = draw_negative(table, state)
        if t != w:
            row[nt] = t
            nt += 1
            prefetch_row(syn1, t)
    return nt, state


@njit(**KERNEL_JIT)
def train_sg_chunk(syn0, syn1, tree, hot, hot_targets, ids, ends, keep, table, window, negative,
                   alpha, keep_unk, seed, loss_every, buf, lo, hi, ctx, targets, neg_codes, g, grad,
                   local, ring, base):
    """Train skip-gram on one chunk of the id stream: each centre's contexts, in blocks, against
    its Huffman path (``tree``, see ``kernels_hs``; skipped when empty; its top nodes in the
    thread's copy ``hot``, hot_targets int32 [path width] scratch), then against
    [centre, negatives] (``negative`` > 0; ``syn1`` is only read then).

    ids int32 [n]: raw corpus ids (UNK included); ends int32 [s]: the chunk's sentence ends
    (windows stop there); keep float32 [V]: subsampling keep probabilities; table int32 [T]:
    negative table. Scratch: buf/lo/hi int32 [n], ctx int32 [2*window], targets int32
    [2, 1+negative] (this centre's targets and the next one's, drawn one word ahead so their rows
    can be prefetched), ``ns_codes(negative)``, g float32 [2*window, max(1+negative, path
    length)], grad float32 [2*window, dim].
    The loss is measured on every ``loss_every``-th centre word (0: never).
    ``local``: context rows are read and written in the per-thread ``ring`` / ``base`` float32
    [cap >= 2*window+2, dim] (``embed.w2v.window_rows``) instead of ``syn0`` directly.
    Returns (words trained after subsampling, loss sum, number of pairs in the loss sum).
    """
    nodes, points, codes, lengths = tree
    hs = lengths.shape[0] > 0
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    loss = 0.0
    nloss = 0
    if n == 0:
        return n, loss, nloss
    load_hot(nodes, hot)
    hlocal = hot[0]
    cut = nodes.shape[0] - hlocal.shape[0]
    src = ring if local else syn0
    mask = ring.shape[0] - 1 if local else -1
    loaded = 0      # positions [stored, loaded) are in the ring (local only)
    stored = 0
    cur = 0
    nt = 0
    if negative > 0:
        nt, state = draw_targets(syn1, table, buf[0], negative, state, targets[0])
    for i in range(n):
        nxt = 1 - cur
        nt_next = 0
        if i + 1 < n:
            if negative > 0:
                nt_next, state = draw_targets(syn1, table, buf[i + 1], negative, state,
                                              targets[nxt])
            if hs:
                prefetch_path(nodes, points, lengths, buf[i + 1])
            if i + 1 + window < n:
                prefetch_row(syn0, buf[i + 1 + window])
        if local:
            top = min(n, i + window + 1)
            load_rows(syn0, ring, base, buf, loaded, top)
            loaded = max(loaded, top)
        m, state = draw_context(buf, i, lo, hi, window, state, ctx, mask)
        w = buf[i]
        want = loss_every > 0 and i % loss_every == 0
        top = hot_prefix(nodes, hlocal, points, lengths, w) if hs else 0
        for t in range(top):
            hot_targets[t] = points[w, t] - cut
        for s in range(0, m if hs else 0, HS_BLOCK):    # the path's top in the thread's copy
            mb = min(HS_BLOCK, m - s)
            c = ctx[s:s + mb]
            for a in range(mb):
                for d in range(src.shape[1]):
                    grad[a, d] = _ZERO
            loss += block_part(src, hlocal, c, mb, hot_targets, codes[w], top, alpha, g, grad,
                               want)
            loss += block_part(src, nodes, c, mb, points[w, top:], codes[w, top:],
                               lengths[w] - top, alpha, g, grad, want)
            for a in range(mb):
                axpy(src, c[a], _ONE, grad, a)
        for s in range(0, m if negative > 0 else 0, MAX_BLOCK):
            mb = min(MAX_BLOCK, m - s)
            loss += sg_block(src, syn1, ctx[s:s + mb], mb, targets[cur], neg_codes, nt, alpha, g,
                             grad, want)
        if want:
            nloss += m
        if local and i + 1 - window > stored:   # no later centre reaches these positions
            store_rows(syn0, ring, base, buf, stored, i + 1 - window)
            stored = i + 1 - window
        cur = nxt
        nt = nt_next
    if local:
        store_rows(syn0, ring, base, buf, stored, loaded)
    store_hot(nodes, hot)
    return n, loss, nloss


def make_runner(model, keep, table, st, max_chunk: int, loss_every: int, threads: int = 1):
    """A per-thread function run(ids, ends, alpha, seed) -> (trained, loss, n) with its own
    scratch, over ``model``'s shared tables; ``st`` is the run's TrainSettings."""
    syn0 = model.vectors
    syn1 = model.output if st.negative > 0 else syn0
    tree = tree_of(model, st)
    hot = hot_of(model, st, threads)
    hot_targets = np.empty(tree[1].shape[1], np.int32)
    win, k = st.window, st.negative
    buf, lo, hi = (np.empty(max_chunk, np.int32) for _ in range(3))
    ctx = np.empty(2 * win, np.int32)
    targets = np.empty((2, k + 1), np.int32)
    codes = ns_codes(k)
    g = np.empty((2 * win, max(k + 1, tree[1].shape[1])), np.float32)
    grad = np.empty((2 * win, st.dim), np.float32)
    local = st.context_rows == "window"
    ring, base = make_ring(st, 2 * win + 2)
    alpha_t = np.float32

    def run(ids, ends, alpha, seed):
        return train_sg_chunk(syn0, syn1, tree, hot, hot_targets, ids, ends, keep, table, win, k,
                              alpha_t(alpha), st.keep_unk, seed, loss_every, buf, lo, hi, ctx,
                              targets, codes, g, grad, local, ring, base)

    return run
