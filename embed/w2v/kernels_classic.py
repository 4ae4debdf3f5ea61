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

from embed.w2v.kernel_math import logistic_loss, sigmoid
from embed.w2v.sampling import below, subsample, xorshift

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(cache=True, nogil=True, fastmath=True)
def train_sg_classic_chunk(syn0, syn1, ids, keep, table, window, negative, alpha, keep_unk,
                           seed, loss_every, buf, neu1e):
    """Skip-gram, word2vec.c order. Scratch: buf int32 [n], neu1e float32 [dim].
    Returns (words trained, loss sum, pairs in the loss sum)."""
    state = np.uint64(seed)
    n, state = subsample(ids, keep, keep_unk, state, buf)
    dim = syn0.shape[1]
    tsize = table.shape[0]
    loss = 0.0
    nloss = 0
    for i in range(n):
        w = buf[i]
        state = xorshift(state)
        reach = window - below(state, window)
        want = loss_every > 0 and i % loss_every == 0
        for j in range(max(0, i - reach), min(n, i + reach + 1)):
            if j == i:
                continue
            c = buf[j]
            for d in range(dim):
                neu1e[d] = _ZERO
            for t in range(negative + 1):
                if t == 0:
                    r = w
                    label = _ONE
                else:
                    state = xorshift(state)
                    r = table[below(state, tsize)]
                    if r == w:
                        continue
                    label = _ZERO
                s = _ZERO
                for d in range(dim):
                    s += syn0[c, d] * syn1[r, d]
                gr = (label - sigmoid(s)) * alpha
                if want:
                    loss += logistic_loss(s, label)
                for d in range(dim):
                    neu1e[d] += gr * syn1[r, d]
                for d in range(dim):
                    syn1[r, d] += gr * syn0[c, d]
            for d in range(dim):
                syn0[c, d] += neu1e[d]
            if want:
                nloss += 1
    return n, loss, nloss


@njit(cache=True, nogil=True, fastmath=True)
def train_cbow_classic_chunk(syn0, syn1, ids, keep, table, window, negative, alpha, keep_unk,
                             seed, loss_every, buf, neu1, neu1e):
    """CBOW, word2vec.c order. Scratch: buf int32 [n], neu1/neu1e float32 [dim].
    Returns (words trained, loss sum, centre words in the loss sum)."""
    state = np.uint64(seed)
    n, state = subsample(ids, keep, keep_unk, state, buf)
    dim = syn0.shape[1]
    tsize = table.shape[0]
    loss = 0.0
    nloss = 0
    for i in range(n):
        w = buf[i]
        state = xorshift(state)
        reach = window - below(state, window)
        lo = max(0, i - reach)
        hi = min(n, i + reach + 1)
        cw = hi - lo - 1
        if cw <= 0:
            continue
        for d in range(dim):
            neu1[d] = _ZERO
            neu1e[d] = _ZERO
        for j in range(lo, hi):
            if j != i:
                c = buf[j]
                for d in range(dim):
                    neu1[d] += syn0[c, d]
        inv = _ONE / np.float32(cw)
        for d in range(dim):
            neu1[d] *= inv
        want = loss_every > 0 and i % loss_every == 0
        for t in range(negative + 1):
            if t == 0:
                r = w
                label = _ONE
            else:
                state = xorshift(state)
                r = table[below(state, tsize)]
                if r == w:
                    continue
                label = _ZERO
            s = _ZERO
            for d in range(dim):
                s += neu1[d] * syn1[r, d]
            gr = (label - sigmoid(s)) * alpha
            if want:
                loss += logistic_loss(s, label)
            for d in range(dim):
                neu1e[d] += gr * syn1[r, d]
            for d in range(dim):
                syn1[r, d] += gr * neu1[d]
        for j in range(lo, hi):
            if j != i:
                c = buf[j]
                for d in range(dim):
                    syn0[c, d] += neu1e[d]
        if want:
            nloss += 1
    return n, loss, nloss
