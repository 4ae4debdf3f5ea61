"""Skip-gram fused kernel: HogBatch (Ji et al. 2016), the fast default.

For each centre word w the context rows C = syn0[ctx] (m x dim) all predict the same targets:
w as the positive and ONE set of k negatives shared by the m contexts. The scores C @ T.T, the
gradients and both updates are small dense blocks computed from the values before the step, so
one centre word costs m*(k+1) dot products but only k random draws and k+1 output rows fetched
once. (word2vec.c draws k fresh negatives for every (context, centre) pair.)

Tables: ``syn0`` float32 [V, dim] input vectors, ``syn1`` float32 [V, dim] output weights; both
are updated in place without locks (Hogwild) by whichever thread runs the kernel.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.nn.activations import sigmoid_scalar
from embed.nn.losses import logistic_loss_scalar
from embed.w2v.kernel_support import KERNEL_JIT, prefetch_row
from embed.w2v.sampling import draw_negative, reduced_window, subsample, window_span
from embed.w2v.window_rows import load_rows, make_ring, store_rows

# Context rows per HogBatch step. Every row of a step pushes the shared output rows from the same
# stale values, so the positive's row moves by up to m single-pair steps at once; with wide
# windows (and a small vocabulary, where the contexts repeat) that diverges. Blocks of at most
# 10 rows (the whole context at the default window 5) bound it whatever the window.
MAX_BLOCK = 10
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(**KERNEL_JIT)
def sg_block(syn0, syn1, ctx, m, targets, nt, alpha, g, grad, want_loss):
    """One HogBatch step; return the summed logistic loss (0 unless ``want_loss``).

    ctx int32 [>= m]: input rows; targets int32 [>= nt]: targets[0] the positive, the rest
    negatives; g float32 [>= m, >= nt] and grad float32 [>= m, dim] are scratch.
    The update equals SGD with learning rate ``alpha`` on the summed negative-sampling loss of
    the m x nt (context, target) pairs, every gradient taken at the values before the step.
    """
    dim = syn0.shape[1]
    loss = 0.0
    for a in range(m):
        c = ctx[a]
        for t in range(nt):
            r = targets[t]
            s = _ZERO
            for d in range(dim):
                s += syn0[c, d] * syn1[r, d]
            label = _ONE if t == 0 else _ZERO
            g[a, t] = (label - sigmoid_scalar(s)) * alpha
            if want_loss:
                loss += logistic_loss_scalar(s, label)
    for a in range(m):
        for d in range(dim):
            grad[a, d] = _ZERO
        for t in range(nt):
            r = targets[t]
            ga = g[a, t]
            for d in range(dim):
                grad[a, d] += ga * syn1[r, d]
    for t in range(nt):
        r = targets[t]
        for a in range(m):
            c = ctx[a]
            ga = g[a, t]
            for d in range(dim):
                syn1[r, d] += ga * syn0[c, d]
    for a in range(m):
        c = ctx[a]
        for d in range(dim):
            syn0[c, d] += grad[a, d]
    return loss


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
def train_sg_chunk(syn0, syn1, ids, ends, keep, table, window, negative, alpha, keep_unk, seed,
                   loss_every, buf, lo, hi, ctx, targets, g, grad, local, ring, base):
    """Train skip-gram on one chunk of the id stream.

    ids int32 [n]: raw corpus ids (UNK included); ends int32 [s]: the chunk's sentence ends
    (windows stop there); keep float32 [V]: subsampling keep probabilities; table int32 [T]:
    negative table. Scratch: buf/lo/hi int32 [n], ctx int32 [2*window], targets int32
    [2, 1+negative] (this centre's targets and the next one's, drawn one word ahead so their rows
    can be prefetched), g float32 [2*window, 1+negative], grad float32 [2*window, dim].
    The loss is measured on every ``loss_every``-th centre word (0: never).
    ``local``: context rows are read and written in the per-thread ``ring`` / ``base`` float32
    [cap >= 2*window+2, dim] (``embed.w2v.window_rows``) instead of ``syn0`` directly.
    Returns (words trained after subsampling, loss sum, number of pairs in the loss sum).
    """
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    loss = 0.0
    nloss = 0
    if n == 0:
        return n, loss, nloss
    src = ring if local else syn0
    mask = ring.shape[0] - 1
    loaded = 0      # positions [stored, loaded) are in the ring (local only)
    stored = 0
    cur = 0
    nt, state = draw_targets(syn1, table, buf[0], negative, state, targets[0])
    for i in range(n):
        nxt = 1 - cur
        nt_next = 0
        if i + 1 < n:
            nt_next, state = draw_targets(syn1, table, buf[i + 1], negative, state, targets[nxt])
            if i + 1 + window < n:
                prefetch_row(syn0, buf[i + 1 + window])
        reach, state = reduced_window(state, window)
        start, stop = window_span(i, reach, lo, hi)
        if local:
            top = min(n, i + window + 1)
            load_rows(syn0, ring, base, buf, loaded, top)
            loaded = max(loaded, top)
        m = 0
        for j in range(start, stop):
            if j != i:
                ctx[m] = j & mask if local else buf[j]
                m += 1
        want = loss_every > 0 and i % loss_every == 0
        for s in range(0, m, MAX_BLOCK):
            mb = min(MAX_BLOCK, m - s)
            loss += sg_block(src, syn1, ctx[s:s + mb], mb, targets[cur], nt, alpha, g, grad,
                             want)
        if want:
            nloss += m
        if local and i + 1 - window > stored:   # no later centre reaches these positions
            store_rows(syn0, ring, base, buf, stored, i + 1 - window)
            stored = i + 1 - window
        cur = nxt
        nt = nt_next
    if local:
        store_rows(syn0, ring, base, buf, stored, loaded)
    return n, loss, nloss


def make_runner(model, keep, table, st, max_chunk: int, loss_every: int):
    """A per-thread function run(ids, ends, alpha, seed) -> (trained, loss, n) with its own
    scratch, over ``model``'s shared tables; ``st`` is the run's TrainSettings."""
    syn0, syn1 = model.vectors, model.output
    win, k = st.window, st.negative
    buf, lo, hi = (np.empty(max_chunk, np.int32) for _ in range(3))
    ctx = np.empty(2 * win, np.int32)
    targets = np.empty((2, k + 1), np.int32)
    g = np.empty((2 * win, k + 1), np.float32)
    grad = np.empty((2 * win, st.dim), np.float32)
    local = st.context_rows == "window"
    ring, base = make_ring(st, 2 * win + 2)
    alpha_t = np.float32

    def run(ids, ends, alpha, seed):
        return train_sg_chunk(syn0, syn1, ids, ends, keep, table, win, k, alpha_t(alpha),
                              st.keep_unk, seed, loss_every, buf, lo, hi, ctx, targets, g, grad,
                              local, ring, base)

    return run
