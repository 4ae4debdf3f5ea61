"""word2vec.c's exact updates, one (context, centre) pair at a time (``--kernel classic``).

Skip-gram: for each centre word and each context word in its reduced window, k fresh negatives;
the output rows are updated target by target and the context row once at the end of the pair.
CBOW: per centre word, the mean of the context rows against the centre and k fresh negatives,
each context row receiving the full hidden-layer gradient. Slower than the batched kernels
(about gensim's speed), kept for users who want word2vec's semantics exactly.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.nn.activations import sigmoid_scalar
from embed.nn.losses import logistic_loss_scalar
from embed.w2v.kernel_support import KERNEL_JIT
from embed.w2v.sampling import draw_negative, reduced_window, subsample, window_span

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(**KERNEL_JIT, inline="always")
def _targets_step(h, syn1, w, table, negative, alpha, state, neu1e, want, loss):
    """word2vec.c's inner loop for one input vector ``h`` (a context row, or CBOW's mean): the
    positive ``w`` and ``negative`` fresh draws (one equal to w skipped), each output row
    updated at once, h's gradient summed into ``neu1e``; return (loss, state)."""
    dim = h.shape[0]
    for t in range(negative + 1):
        if t == 0:
            r = w
            label = _ONE
        else:
            r, state = draw_negative(table, state)
            if r == w:
                continue
            label = _ZERO
        s = _ZERO
        for d in range(dim):
            s += h[d] * syn1[r, d]
        gr = (label - sigmoid_scalar(s)) * alpha
        if want:
            loss += logistic_loss_scalar(s, label)
        for d in range(dim):
            neu1e[d] += gr * syn1[r, d]
        for d in range(dim):
            syn1[r, d] += gr * h[d]
    return loss, state


@njit(**KERNEL_JIT)
def train_sg_classic_chunk(syn0, syn1, ids, ends, keep, table, window, negative, alpha,
                           keep_unk, seed, loss_every, buf, lo, hi, neu1e):
    """Skip-gram, word2vec.c order. ends int32 [s]: sentence ends. Scratch: buf/lo/hi int32
    [n], neu1e float32 [dim]. Returns (words trained, loss sum, pairs in the loss sum)."""
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    dim = syn0.shape[1]
    loss = 0.0
    nloss = 0
    for i in range(n):
        w = buf[i]
        reach, state = reduced_window(state, window)
        start, stop = window_span(i, reach, lo, hi)
        want = loss_every > 0 and i % loss_every == 0
        for j in range(start, stop):
            if j == i:
                continue
            c = buf[j]
            for d in range(dim):
                neu1e[d] = _ZERO
            loss, state = _targets_step(syn0[c], syn1, w, table, negative, alpha, state, neu1e,
                                        want, loss)
            for d in range(dim):
                syn0[c, d] += neu1e[d]
            if want:
                nloss += 1
    return n, loss, nloss


@njit(**KERNEL_JIT)
def train_cbow_classic_chunk(syn0, syn1, ids, ends, keep, table, window, negative, alpha,
                             keep_unk, seed, loss_every, buf, lo, hi, neu1, neu1e):
    """CBOW, word2vec.c order. ends int32 [s]: sentence ends. Scratch: buf/lo/hi int32 [n],
    neu1/neu1e float32 [dim]. Returns (words trained, loss sum, centre words in the loss sum)."""
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    dim = syn0.shape[1]
    loss = 0.0
    nloss = 0
    for i in range(n):
        w = buf[i]
        reach, state = reduced_window(state, window)
        start, stop = window_span(i, reach, lo, hi)
        cw = stop - start - 1
        if cw <= 0:
            continue
        for d in range(dim):
            neu1[d] = _ZERO
            neu1e[d] = _ZERO
        for j in range(start, stop):
            if j != i:
                c = buf[j]
                for d in range(dim):
                    neu1[d] += syn0[c, d]
        inv = _ONE / np.float32(cw)
        for d in range(dim):
            neu1[d] *= inv
        want = loss_every > 0 and i % loss_every == 0
        loss, state = _targets_step(neu1, syn1, w, table, negative, alpha, state, neu1e, want,
                                    loss)
        for j in range(start, stop):
            if j != i:
                c = buf[j]
                for d in range(dim):
                    syn0[c, d] += neu1e[d]
        if want:
            nloss += 1
    return n, loss, nloss


def make_runner(model, keep, table, st, max_chunk: int, loss_every: int, threads: int = 1):
    """A per-thread function run(ids, ends, alpha, seed) -> (trained, loss, n) with its own
    scratch, for ``st.model`` (skip-gram or CBOW) over ``model``'s shared tables; ``st`` is the
    run's TrainSettings."""
    syn0, syn1 = model.vectors, model.output
    win, k = st.window, st.negative
    buf, lo, hi = (np.empty(max_chunk, np.int32) for _ in range(3))
    neu1 = np.empty(st.dim, np.float32)
    neu1e = np.empty(st.dim, np.float32)
    if st.model == "skipgram":
        def run(ids, ends, alpha, seed):
            return train_sg_classic_chunk(syn0, syn1, ids, ends, keep, table, win, k,
                                          np.float32(alpha), st.keep_unk, seed, loss_every, buf,
                                          lo, hi, neu1e)
    else:
        def run(ids, ends, alpha, seed):
            return train_cbow_classic_chunk(syn0, syn1, ids, ends, keep, table, win, k,
                                            np.float32(alpha), st.keep_unk, seed, loss_every,
                                            buf, lo, hi, neu1, neu1e)
    return run
