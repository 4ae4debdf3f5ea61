"""Subword skip-gram fused kernel (fastText's model), the centre word composed once.

fastText's orientation: the centre word's rows (own row + character n-gram rows, see
`embed.w2v.subword_rows`) predict its context words. fastText and gensim recompose the centre's
vector h and update all its ~20 rows for every (centre, context) pair, ~370 row operations per
centre at window 5. Here h is composed once per block of at most ``MAX_BLOCK`` contexts, and
every ``neg_share`` contexts of the block share one set of k negatives:

- scores: h . syn1[c] for each context c (label 1) and h . syn1[n] for each negative n (label 0)
  -- m + (m / neg_share) k dot products, not m (k + 1), since h is the same for every pair;
- each negative stands for the per-pair negatives it replaces: it is weighted by the number of
  contexts of its run it differs from (a negative equal to a context is skipped for that pair,
  word2vec's rule), so the loss is the sum over the m pairs of -log s(h . c) - sum_n log
  s(-h . n), fastText's objective with the pairs' negatives shared;
- grad_h = sum_t g_t syn1[t]; syn1[t] += g_t h; every row of the centre += grad_h (the whole
  gradient, as fastText's unsupervised update).

``neg_share`` 1 is fastText's fresh negatives for every pair. Sharing trades variance for
speed: on the bench corpus (5 epochs, alpha 0.025) the default 3 kept every score within 0.01
of gensim's FastText at ~1.7x the speed of per-pair negatives, 5 lost ~0.02 analogy accuracy
and one set per centre (10) 0.03. At fastText's rate (0.05) sharing costs more.

All gradients are taken at the values before the block (one SGD step on the block's loss): the
layered path (`embed.w2v.layered_subword`) computes the same step through embed.nn. About 70
row operations per centre, which is where the speed comes from.

Tables: syn0 float32 [V, dim] word rows, ngr float32 [bucket, dim] n-gram rows, syn1 float32
[V, dim] output rows; updated in place without locks (Hogwild).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.nn.activations import sigmoid_scalar
from embed.nn.losses import logistic_loss_scalar
from embed.w2v.kernel_support import KERNEL_JIT, prefetch_row
from embed.w2v.kernels_sg import MAX_BLOCK
from embed.w2v.sampling import draw_negative, reduced_window, subsample, window_span
from embed.w2v.subword_rows import (compose, output_step, prefetch_word, spread,
                                    working_rows)

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(**KERNEL_JIT, inline="always")
def sg_subword_block(syn0, ngr, syn1, noff, nrows, w, ctx, m, negs, k, share, alpha, h, grad, g,
                     tgt, want_loss):
    """One step for centre ``w`` and its contexts ctx int32 [>= m]; return the summed loss (0
    unless ``want_loss``). Each run of ``share`` contexts shares one set of k negatives:
    negs int32 [>= ceil(m / share) * k], set q at negs[q*k:(q+1)*k].
    Scratch: h, grad float32 [dim], g float32 and tgt int32 [>= m + ceil(m / share) * k]."""
    dim = h.shape[0]
    compose(syn0, ngr, noff, nrows, w, h)
    loss = 0.0
    for a in range(m):
        s = _ZERO
        c = ctx[a]
        for d in range(dim):
            s += h[d] * syn1[c, d]
        tgt[a] = c
        g[a] = (_ONE - sigmoid_scalar(s)) * alpha
        if want_loss:
            loss += logistic_loss_scalar(s, _ONE)
    nn = ((m + share - 1) // share) * k
    for t in range(nn):
        r = negs[t]
        tgt[m + t] = r
        first = (t // k) * share
        pairs = 0
        for a in range(first, min(m, first + share)):
            if ctx[a] != r:
                pairs += 1
        if pairs == 0:
            g[m + t] = _ZERO
            continue
        s = _ZERO
        for d in range(dim):
            s += h[d] * syn1[r, d]
        g[m + t] = -sigmoid_scalar(s) * alpha * np.float32(pairs)
        if want_loss:
            loss += pairs * logistic_loss_scalar(s, _ZERO)
    output_step(syn1, tgt, g, m + nn, h, grad)
    spread(syn0, ngr, noff, nrows, w, grad)
    return loss


@njit(**KERNEL_JIT, inline="always")
def draw_shared(syn1, table, negative, state, negs):
    """``negative`` draws into negs, their output rows prefetched; return the state."""
    for t in range(negative):
        negs[t], state = draw_negative(table, state)
        prefetch_row(syn1, negs[t])
    return state


@njit(**KERNEL_JIT)
def train_sg_subword_chunk(syn0, ngr, syn1, noff, nrows, ids, ends, keep, table, window,
                           negative, share, alpha, keep_unk, seed, loss_every, buf, lo, hi, ctx,
                           negs, h, grad, g, tgt):
    """Train subword skip-gram on one chunk of the id stream.

    ids int32 [n]: corpus ids (UNK included); ends int32 [s]: sentence ends in the chunk; keep
    float32 [V]; table int32 [T]: the negative table. Scratch: buf/lo/hi int32 [n], ctx int32
    [2*window], h/grad float32 [dim], g float32 / tgt int32 [MAX_BLOCK * (1 + negative)].
    Per centre: the reduced window, then per block of <= MAX_BLOCK contexts its negatives, one
    set of ``negative`` per ``share`` contexts (negs int32 [MAX_BLOCK * negative]).
    Returns (words trained after subsampling, loss sum, pairs in the loss sum).
    """
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    loss = 0.0
    nloss = 0
    for i in range(n):
        if i + 1 < n:
            prefetch_word(syn0, ngr, noff, nrows, buf[i + 1])
        reach, state = reduced_window(state, window)
        start, stop = window_span(i, reach, lo, hi)
        m = 0
        for j in range(start, stop):
            if j != i:
                ctx[m] = buf[j]
                m += 1
        want = loss_every > 0 and i % loss_every == 0
        for s in range(0, m, MAX_BLOCK):
            mb = min(MAX_BLOCK, m - s)
            nsets = (mb + share - 1) // share
            state = draw_shared(syn1, table, nsets * negative, state, negs)
            loss += sg_subword_block(syn0, ngr, syn1, noff, nrows, buf[i], ctx[s:s + mb], mb,
                                     negs, negative, share, alpha, h, grad, g, tgt, want)
        if want:
            nloss += m
    return n, loss, nloss


# fused.py's once-per-run hook: the packed working copy of the n-gram rows every thread trains
prepare = working_rows


def make_runner(model, keep, table, st, max_chunk: int, loss_every: int, shared,
                threads: int = 1):
    """A per-thread function run(ids, ends, alpha, seed) -> (trained, loss, n) with its own
    scratch, over ``model``'s shared tables and ``shared`` = ``prepare``'s (noff, crows,
    n-gram working rows); ``st`` is the run's TrainSettings."""
    syn0, syn1 = model.vectors, model.output
    noff, nrows, ngr = shared
    win, k = st.window, st.negative
    buf, lo, hi = (np.empty(max_chunk, np.int32) for _ in range(3))
    ctx = np.empty(2 * win, np.int32)
    share = st.neg_share
    negs = np.empty(MAX_BLOCK * k, np.int32)
    h = np.empty(st.dim, np.float32)
    grad = np.empty(st.dim, np.float32)
    g = np.empty(MAX_BLOCK * (1 + k), np.float32)
    tgt = np.empty(MAX_BLOCK * (1 + k), np.int32)

    def run(ids, ends, alpha, seed):
        return train_sg_subword_chunk(syn0, ngr, syn1, noff, nrows, ids, ends, keep, table, win,
                                      k, share, np.float32(alpha), st.keep_unk, seed,
                                      loss_every, buf, lo, hi, ctx, negs, h, grad, g, tgt)

    return run
