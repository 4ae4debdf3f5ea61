"""Subword CBOW fused kernel (fastText's model) with each position's word composed once.

fastText's CBOW averages every row of every context word (~6 words x ~20 rows at window 5)
into h and adds the whole gradient of h to each of those ~150 rows, for every centre word. A
word at position j sits in the windows of up to 2 * window centres, so here its composed vector
u_j (the mean of its k_j rows) is computed once, when j enters the windows, kept (as the sum
k_j u_j) in a ring of R > 2 * window slots (a power of two), and reused by every centre whose
window holds it; the gradients those centres send it are summed in the slot's e_j and added to
its rows once, when j leaves the windows (``flush``). For centre i:

    h = sum_j k_j u_j / sum_j k_j          (the mean of all the context words' rows, as fastText)
    scores h . syn1[w_i] (label 1) and h . syn1[n] for k negatives (label 0, a draw equal to
    w_i skipped); grad = sum_t g_t syn1[t]; syn1[t] += g_t h; e_j += grad for each context j.

So a centre costs one composition and one flush (~20 row reads and ~20 row updates) plus the
output rows, against fastText's ~300 row operations. What changes is when input updates land:
a context word's vector is the one composed when it entered the windows (at most 2 * window
positions earlier), and its rows receive the gradients of its 2 * window centres together.
The output rows are updated centre by centre, as in fastText.

The layered path (`embed.w2v.layered_subword`) computes the same schedule through embed.nn
(a bag-of-rows mean, the negative-sampling loss, SGD on sparse rows).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.nn.activations import sigmoid_scalar
from embed.nn.losses import logistic_loss_scalar
from embed.w2v.kernel_support import KERNEL_JIT, prefetch_item, prefetch_row
from embed.w2v.sampling import (below, draw_negative, reduced_window, subsample, window_span,
                                xorshift)
from embed.w2v.subword_rows import (output_step, prefetch_word_l2, row_sum, spread,
                                    working_rows)

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(**KERNEL_JIT, inline="always")
def cbow_subword_step(syn1, U, E, kc, slots, m, w, negs, k, alpha, h, grad, g, tgt,
                      want_loss):
    """One centre's step from the ring; return the summed loss (0 unless ``want_loss``).

    U, E float32 [R, dim]: the row sums (k_j u_j) and pending gradients of the ring's
    positions; kc int64 [R]: their row counts; slots int32 [>= m]: the context words' slots;
    w: the centre (positive); negs int32 [>= k] (a draw equal to w is skipped).
    Scratch: h, grad float32 [dim], g float32 / tgt int32 [1 + k].
    """
    dim = h.shape[0]
    for d in range(dim):
        h[d] = _ZERO
    total = 0
    for a in range(m):
        q = slots[a]
        total += kc[q]
        for d in range(dim):
            h[d] += U[q, d]
    inv = _ONE / np.float32(total)
    for d in range(dim):
        h[d] *= inv
    loss = 0.0
    for t in range(k + 1):
        r = w if t == 0 else negs[t - 1]
        tgt[t] = r
        if t > 0 and r == w:
            g[t] = _ZERO
            continue
        s = _ZERO
        for d in range(dim):
            s += h[d] * syn1[r, d]
        label = _ONE if t == 0 else _ZERO
        g[t] = (label - sigmoid_scalar(s)) * alpha
        if want_loss:
            loss += logistic_loss_scalar(s, label)
    output_step(syn1, tgt, g, k + 1, h, grad)
    for a in range(m):
        q = slots[a]
        for d in range(dim):
            E[q, d] += grad[d]
    return loss


@njit(**KERNEL_JIT, inline="always")
def enter(syn0, ngr, noff, nrows, buf, j, U, E, kc):
    """Position j enters the windows: its word's row sum into slot j & (R - 1) (R a power of
    two: no division), its gradient cleared."""
    q = j & (U.shape[0] - 1)
    kc[q] = row_sum(syn0, ngr, noff, nrows, buf[j], U[q])
    for d in range(U.shape[1]):
        E[q, d] = _ZERO


@njit(**KERNEL_JIT, inline="always")
def flush(syn0, ngr, noff, nrows, buf, j, E):
    """Position j leaves the windows: its summed gradient goes to every row of its word."""
    spread(syn0, ngr, noff, nrows, buf[j], E[j & (E.shape[0] - 1)])


@njit(**KERNEL_JIT, inline="always")
def draw_ahead(syn1, table, negative, state, negs):
    """``negative`` draws into negs, their output rows prefetched; return the state."""
    for t in range(negative):
        negs[t], state = draw_negative(table, state)
        prefetch_row(syn1, negs[t])
    return state


@njit(**KERNEL_JIT, inline="always")
def prefetch_draws(table, state, skip, negative):
    """Start loading the table entries of the ``negative`` draws that follow ``skip`` more
    steps of the generator from ``state`` (its copy: nothing is drawn). The table (up to 10 M
    entries) misses the caches on almost every draw, and its entry must arrive before the
    drawn output row can even be prefetched."""
    for _ in range(skip):
        state = xorshift(state)
    for _ in range(negative):
        state = xorshift(state)
        prefetch_item(table, below(state, table.shape[0]))


@njit(**KERNEL_JIT)
def train_cbow_subword_chunk(syn0, ngr, syn1, noff, nrows, ids, ends, keep, table, window,
                             negative, alpha, keep_unk, seed, loss_every, buf, lo, hi, U, E, kc,
                             slots, negs, h, grad, g, tgt):
    """Train subword CBOW on one chunk of the id stream.

    ids int32 [n]; ends int32 [s]: the chunk's sentence ends; keep float32 [V]; table int32
    [T]. Scratch: buf/lo/hi int32 [n], U/E float32 [R, dim] and kc int64 [R] with R a power
    of two > 2 * window, slots int32 [2*window], h/grad float32 [dim],
    g float32 / tgt int32 [1 + negative]. Per centre: flush the position leaving the windows,
    compose the one entering, the reduced window, then the next centre's negatives (drawn one
    centre ahead so that their rows load meanwhile; negs int32 [2, negative]) and the table
    entries of the negatives after them (``prefetch_draws``).
    Returns (words trained after subsampling, loss sum, centre words in the loss sum).
    """
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    mask = U.shape[0] - 1
    loss = 0.0
    nloss = 0
    for j in range(min(window, n)):
        enter(syn0, ngr, noff, nrows, buf, j, U, E, kc)
    cur = 0
    state = draw_ahead(syn1, table, negative, state, negs[0])
    for i in range(n):
        if i - window - 1 >= 0:
            flush(syn0, ngr, noff, nrows, buf, i - window - 1, E)
        if i + window < n:
            if i + window + 1 < n:
                prefetch_word_l2(syn0, ngr, noff, nrows, buf[i + window + 1])
            enter(syn0, ngr, noff, nrows, buf, i + window, U, E, kc)
        reach, state = reduced_window(state, window)
        if i + 1 < n:   # the next centre's: their rows load while this one trains
            state = draw_ahead(syn1, table, negative, state, negs[1 - cur])
            prefetch_row(syn1, buf[i + 1])
            if i + 2 < n:   # the table entries of the draws the next centre makes
                prefetch_draws(table, state, 1, negative)
        start, stop = window_span(i, reach, lo, hi)
        m = 0
        for j in range(start, stop):
            if j != i:
                slots[m] = j & mask
                m += 1
        if m > 0:
            want = loss_every > 0 and i % loss_every == 0
            loss += cbow_subword_step(syn1, U, E, kc, slots, m, buf[i], negs[cur], negative,
                                      alpha, h, grad, g, tgt, want)
            if want:
                nloss += 1
        cur = 1 - cur
    for j in range(max(0, n - window - 1), n):
        flush(syn0, ngr, noff, nrows, buf, j, E)
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
    win, k, dim = st.window, st.negative, st.dim
    buf, lo, hi = (np.empty(max_chunk, np.int32) for _ in range(3))
    ring = 1 << (2 * win).bit_length()     # a power of two > 2 * window
    U = np.empty((ring, dim), np.float32)
    E = np.empty((ring, dim), np.float32)
    kc = np.empty(ring, np.int64)
    slots = np.empty(2 * win, np.int32)
    negs = np.empty((2, k), np.int32)
    h = np.empty(dim, np.float32)
    grad = np.empty(dim, np.float32)
    g = np.empty(k + 1, np.float32)
    tgt = np.empty(k + 1, np.int32)

    def run(ids, ends, alpha, seed):
        return train_cbow_subword_chunk(syn0, ngr, syn1, noff, nrows, ids, ends, keep, table,
                                        win, k, np.float32(alpha), st.keep_unk, seed,
                                        loss_every, buf, lo, hi, U, E, kc, slots, negs, h,
                                        grad, g, tgt)

    return run
