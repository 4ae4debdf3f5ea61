"""CBOW fused kernel: a group of centre words shares one set of negatives (the default).

For each centre word w_b the hidden vector h_b is the mean of its context rows of ``syn0``; a
group of ``group`` centre words draws ONE set of k negatives, and the (group x k) scores,
gradients and updates are computed as dense blocks from the values before the step. The
members of a group sit one window span (2*window+1 words) apart: neighbouring centre words have
nearly the same context and so nearly the same h, and sharing negatives between them pushes each
negative row the same way several times (on the bench corpus adjacent groups of 3 lost 0.01
analogy accuracy; groups of 6 spread out score like word2vec's per-word update).
As in word2vec.c and gensim (cbow_mean=1), every context row receives the full gradient of h_b,
not gradient / count: the mean is used forward, the sum backward. With hierarchical softmax
(``--hs``, see ``kernels_hs``) each centre first takes its step against its Huffman path
(``cbow_hs_step``).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.nn.activations import sigmoid_scalar
from embed.nn.losses import logistic_loss_scalar
from embed.w2v.kernel_support import (KERNEL_JIT, cross, cross4, dot, dot4, prefetch_row,
                                      sigmoid_fast)
from embed.w2v.kernels_hs import (cbow_group, hot_of, hot_prefix, load_hot, prefetch_path,
                                  store_hot, tree_of)
from embed.w2v.sampling import draw_context, draw_negative, subsample
from embed.w2v.window_rows import load_rows, make_ring, store_rows

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(**KERNEL_JIT, inline="always")
def context_means(syn0, ctx, cnt, b0, b1, h, dh):
    """For members b0 <= b < b1 with cnt[b] > 0: h[b] = the mean of the rows ctx[b, :cnt[b]]
    of syn0 (CBOW's hidden layer, two rows a pass) and dh[b] = 0 (the gradient to come).
    Called once per group: per member, the calls' reference counting cost the block 10%."""
    dim = syn0.shape[1]
    for b in range(b0, b1):
        nc = cnt[b]
        if nc == 0:
            continue
        inv = _ONE / np.float32(nc)
        for d in range(dim):
            h[b, d] = _ZERO
        for a in range(0, nc - 1, 2):
            c0 = ctx[b, a]
            c1 = ctx[b, a + 1]
            for d in range(dim):
                h[b, d] += syn0[c0, d] + syn0[c1, d]
        if nc % 2:
            c = ctx[b, nc - 1]
            for d in range(dim):
                h[b, d] += syn0[c, d]
        for d in range(dim):
            h[b, d] *= inv
            dh[b, d] = _ZERO


@njit(**KERNEL_JIT, inline="always")
def add_to_contexts(syn0, ctx, cnt, b0, b1, dh):
    """syn0[ctx[b, a]] += dh[b] for members b0 <= b < b1 and a < cnt[b], two rows a pass:
    every context row gets the hidden layer's whole gradient (word2vec.c's and gensim's
    cbow_mean convention)."""
    dim = syn0.shape[1]
    for b in range(b0, b1):
        nc = cnt[b]
        for a in range(0, nc - 1, 2):
            c0 = ctx[b, a]
            c1 = ctx[b, a + 1]
            if c0 == c1:
                for d in range(dim):
                    syn0[c0, d] += dh[b, d] + dh[b, d]
            else:
                for d in range(dim):
                    v = dh[b, d]
                    syn0[c0, d] += v
                    syn0[c1, d] += v
        if nc % 2:
            c = ctx[b, nc - 1]
            for d in range(dim):
                syn0[c, d] += dh[b, d]


@njit(**KERNEL_JIT, inline="always")
def path_part(table, index, offset, w, t0, t1, codes, alpha, h, b, dh, g, want_loss):
    """Nodes t0 <= t < t1 of word w's path, rows index[w, t] - offset of ``table``, against h[b]:
    scores four a pass, then each node's step and its part of h's gradient dh[b] in one pass
    (``cross4``); return their summed loss."""
    n = t1 - t0
    four = t0 + n - n % 4
    for t in range(t0, four, 4):
        g[t], g[t + 1], g[t + 2], g[t + 3] = dot4(h, b, table, index[w, t] - offset,
                                                  index[w, t + 1] - offset,
                                                  index[w, t + 2] - offset,
                                                  index[w, t + 3] - offset)
    for t in range(four, t1):
        g[t] = dot(h, b, table, index[w, t] - offset)
    loss = 0.0
    if want_loss:
        for t in range(t0, t1):
            loss += logistic_loss_scalar(g[t], _ONE - np.float32(codes[w, t]))
    for t in range(t0, t1):
        g[t] = (_ONE - np.float32(codes[w, t]) - sigmoid_fast(g[t])) * alpha
    for t in range(t0, four, 4):      # the nodes of a path are distinct, as cross4 needs
        cross4(table, index[w, t] - offset, index[w, t + 1] - offset, index[w, t + 2] - offset,
               index[w, t + 3] - offset, g[t], g[t + 1], g[t + 2], g[t + 3], h, b, dh, b)
    for t in range(four, t1):
        cross(table, index[w, t] - offset, g[t], h, b, dh, b)
    return loss


@njit(**KERNEL_JIT, inline="always")
def cbow_hs_step(syn0, nodes, points, codes, lengths, local, ctx, cnt, b, w, alpha, h, dh, g,
                 want_loss):
    """Member ``b`` of a CBOW group (centre ``w``) against its Huffman path (``kernels_hs``);
    return the summed loss.

    h[b] = the mean of the context rows ctx[b, :cnt[b]] (h, dh float32 [G, dim] scratch) is
    scored against the path's node rows (g float32 [>= path length] scratch): the nodes above
    the depth of ``hot`` (``kernels_hs.hot_of``) in the thread's copy, the rest in the shared
    table; with one input row each node's step is apart from the others', and h's gradient
    dh[b] then goes to every context row. Inlined, reading the path in place (points[w, t]): as
    a call taking views of the path, the reference counting of its arguments cost CBOW ~10%.
    """
    if cnt[b] == 0:
        return 0.0
    context_means(syn0, ctx, cnt, b, b + 1, h, dh)
    n = lengths[w]
    top = hot_prefix(nodes, local, points, lengths, w)
    cut = nodes.shape[0] - local.shape[0]
    loss = 0.0
    for part in range(2):           # one copy of the code for both
        table, offset, t0, t1 = (local, cut, 0, top) if part == 0 else (nodes, 0, top, n)
        loss += path_part(table, points, offset, w, t0, t1, codes, alpha, h, b, dh, g, want_loss)
    add_to_contexts(syn0, ctx, cnt, b, b + 1, dh)
    return loss


@njit(**KERNEL_JIT)
def cbow_block(syn0, syn1, ctx, cnt, gsz, centres, negs, k, alpha, h, dh, g, want_loss):
    """One shared-negatives CBOW step for ``gsz`` centre words; return the summed loss.

    ctx int32 [G, 2*window] with cnt int32 [G] valid entries per row (rows with cnt 0 are
    skipped); centres int32 [G] the positives; negs int32 [>= k] shared negatives (a negative
    equal to a row's centre is skipped for that row, as word2vec does). Scratch: h, dh float32
    [G, dim], g float32 [G, 1+k].
    Rows go two at a time through each pass over ``dim`` (two context rows summed into h, two
    targets scored against it and added into dh, dh added to two context rows): half the
    passes over h and dh, 12-14 % more words per CPU-second than one row a pass at dim 100;
    only the rounding of the sums differs.
    """
    dim = syn0.shape[1]
    loss = 0.0
    context_means(syn0, ctx, cnt, 0, gsz, h, dh)
    for b in range(gsz):
        if cnt[b] == 0:
            continue
        w = centres[b]
        for t in range(0, k, 2):   # targets in pairs: t, t+1 (t = 0 is the positive)
            r0 = w if t == 0 else negs[t - 1]
            r1 = negs[t]
            s0 = _ZERO
            s1 = _ZERO
            for d in range(dim):
                hd = h[b, d]
                s0 += hd * syn1[r0, d]
                s1 += hd * syn1[r1, d]
            l0 = _ONE if t == 0 else _ZERO
            g0 = _ZERO if t > 0 and r0 == w else (l0 - sigmoid_scalar(s0)) * alpha
            g1 = _ZERO if r1 == w else (_ZERO - sigmoid_scalar(s1)) * alpha
            g[b, t] = g0
            g[b, t + 1] = g1
            if want_loss:
                if not (t > 0 and r0 == w):
                    loss += logistic_loss_scalar(s0, l0)
                if r1 != w:
                    loss += logistic_loss_scalar(s1, _ZERO)
            for d in range(dim):
                dh[b, d] += g0 * syn1[r0, d] + g1 * syn1[r1, d]
        if k % 2 == 0:             # an odd number of targets: the last one alone
            r = negs[k - 1]
            if r == w:
                g[b, k] = _ZERO
            else:
                s = _ZERO
                for d in range(dim):
                    s += h[b, d] * syn1[r, d]
                gb = (_ZERO - sigmoid_scalar(s)) * alpha
                g[b, k] = gb
                if want_loss:
                    loss += logistic_loss_scalar(s, _ZERO)
                for d in range(dim):
                    dh[b, d] += gb * syn1[r, d]
    for b in range(gsz):
        if cnt[b] == 0:
            continue
        w = centres[b]
        gb = g[b, 0]
        for d in range(dim):
            syn1[w, d] += gb * h[b, d]
    for t in range(1, k + 1):
        r = negs[t - 1]
        for b in range(gsz):
            if cnt[b] == 0:
                continue
            gb = g[b, t]
            for d in range(dim):
                syn1[r, d] += gb * h[b, d]
    add_to_contexts(syn0, ctx, cnt, 0, gsz, dh)
    return loss


@njit(**KERNEL_JIT, inline="always")
def group_first(q, window, group):
    """Position of group ``q``'s first member. Members sit one window span apart (stride
    2*window+1), so their windows do not overlap and their hidden vectors differ; groups are
    visited so that each member's window slides by one word from the previous group's."""
    stride = 2 * window + 1
    return (q // stride) * group * stride + q % stride


@njit(**KERNEL_JIT, inline="always")
def draw_shared(table, negative, state, out):
    """``negative`` draws into ``out`` (a group's shared negatives); return the state."""
    for j in range(negative):
        out[j], state = draw_negative(table, state)
    return state


@njit(**KERNEL_JIT)
def next_group(buf, n, lo, hi, q, window, group, state, ctx, cnt, centres, mask):
    """Fill group ``q``'s members (one window span apart, see ``group_first``): their
    contexts (word ids, or with ``mask`` >= 0 ring slots: position & mask), counts and centre
    words; return (members, state). Members past the chunk's end are left out."""
    stride = 2 * window + 1
    first = group_first(q, window, group)
    gsz = 0
    for b in range(group):
        i = first + b * stride
        if i >= n:
            break
        cnt[b], state = draw_context(buf, i, lo, hi, window, state, ctx[b], mask)
        centres[b] = buf[i]
        gsz += 1
    return gsz, state


@njit(**KERNEL_JIT)
def group_count(n, window, group):
    """Groups that cover a chunk of ``n`` kept words (some may be empty near its end)."""
    stride = 2 * window + 1
    span = group * stride
    return ((n + span - 1) // span) * stride


@njit(**KERNEL_JIT)
def train_cbow_chunk(syn0, syn1, tree, hot, ids, ends, keep, table, window, negative, alpha,
                     keep_unk,
                     seed, loss_every, group, buf, lo, hi, ctx, cnt, centres, negs, h, dh, g,
                     path_scratch, local, ring, base):
    """Train CBOW on one chunk of the id stream: each centre word against its Huffman path
    (``tree``, see ``kernels_hs``; skipped when empty), then each group against its shared
    negatives (``negative`` > 0; ``syn1`` is only read then).

    ends int32 [s]: the chunk's sentence ends (windows stop there). Scratch: buf/lo/hi int32
    [n], ctx int32 [group, 2*window], cnt/centres int32 [group], negs int32 [2, negative] (this
    group's negatives and the next group's, drawn one group ahead so their rows can be
    prefetched), h/dh float32 [group, dim], g float32 [group, 1+negative], path_scratch
    ``cbow_hs_step``'s (h, dh, g).
    ``local``: context rows are read and written in the per-thread ``ring`` / ``base`` float32
    [cap >= group*(2*window+1) + 2*window + 2, dim] (``embed.w2v.window_rows``), not ``syn0``.
    Returns (words trained after subsampling, loss sum, number of centre words in the loss sum).
    """
    hs = tree[3].shape[0] > 0
    hpath, dhpath, gpath = path_scratch
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    load_hot(tree[0], hot)
    hlocal = hot[0]
    nodes, points, codes, lengths = tree
    loss = 0.0
    nloss = 0
    stride = 2 * window + 1
    src = ring if local else syn0
    mask = ring.shape[0] - 1 if local else -1
    loaded = 0      # positions [stored, loaded) are in the ring (local only)
    stored = 0
    cur = 0
    state = draw_shared(table, negative, state, negs[0])
    for q in range(group_count(n, window, group)):
        if group_first(q, window, group) >= n:
            continue
        nxt = 1 - cur
        state = draw_shared(table, negative, state, negs[nxt])
        for j in range(negative):
            prefetch_row(syn1, negs[nxt, j])
        nfirst = group_first(q + 1, window, group)
        for b in range(group):
            p = nfirst + b * stride
            if p < n:
                if negative > 0:
                    prefetch_row(syn1, buf[p])
                if hs:
                    prefetch_path(nodes, points, lengths, buf[p])
                if p + window < n:
                    prefetch_row(syn0, buf[p + window])
        if local:
            first = group_first(q, window, group)
            top = min(n, first + (group - 1) * stride + window + 1)
            load_rows(syn0, ring, base, buf, loaded, top)
            loaded = max(loaded, top)
        gsz, state = next_group(buf, n, lo, hi, q, window, group, state, ctx, cnt, centres,
                                mask)
        want = loss_every > 0 and q % loss_every == 0
        if hs:
            for b in range(gsz):
                loss += cbow_hs_step(src, nodes, points, codes, lengths, hlocal, ctx, cnt, b,
                                     centres[b], alpha, hpath, dhpath, gpath, want)
        if negative > 0:
            loss += cbow_block(src, syn1, ctx, cnt, gsz, centres, negs[cur], negative, alpha,
                               h, dh, g, want)
        if want:
            for b in range(gsz):
                if cnt[b] > 0:
                    nloss += 1
        if local and nfirst - window > stored:   # later groups' centres start at nfirst
            store_rows(syn0, ring, base, buf, stored, min(nfirst - window, loaded))
            stored = min(nfirst - window, loaded)
        cur = nxt
    if local:
        store_rows(syn0, ring, base, buf, stored, loaded)
    store_hot(tree[0], hot)
    return n, loss, nloss


@njit(**KERNEL_JIT)
def train_cbow_hs_chunk(syn0, tree, hot, ids, ends, keep, window, alpha, keep_unk, seed, loss_every,
                        buf, lo, hi, ctx, cnt, path_scratch, local, ring, base):
    """``train_cbow_chunk`` without negatives (``negative`` 0, groups of 1): the same steps
    from the same draws, each centre in corpus order against its path, without the group
    bookkeeping (positions by division, the shared-negatives calls: a fifth of this model's
    time once the path step was fast). Arguments as there; ctx int32 [1, 2*window], cnt int32
    [1]; returns (words trained after subsampling, loss sum, centre words in the loss sum)."""
    hpath, dhpath, gpath = path_scratch
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, keep_unk, state, buf, lo, hi)
    load_hot(tree[0], hot)
    hlocal = hot[0]
    nodes, points, codes, lengths = tree
    loss = 0.0
    nloss = 0
    src = ring if local else syn0
    mask = ring.shape[0] - 1 if local else -1
    loaded = 0      # positions [stored, loaded) are in the ring (local only)
    stored = 0
    for i in range(n):
        if i + 1 < n:
            prefetch_path(nodes, points, lengths, buf[i + 1])
            if i + 1 + window < n:
                prefetch_row(syn0, buf[i + 1 + window])
        if local:
            top = min(n, i + window + 1)
            load_rows(syn0, ring, base, buf, loaded, top)
            loaded = max(loaded, top)
        cnt[0], state = draw_context(buf, i, lo, hi, window, state, ctx[0], mask)
        want = loss_every > 0 and i % loss_every == 0
        loss += cbow_hs_step(src, nodes, points, codes, lengths, hlocal, ctx, cnt, 0, buf[i], alpha,
                             hpath, dhpath, gpath, want)
        if want and cnt[0] > 0:
            nloss += 1
        if local and i + 1 - window > stored:   # no later centre reaches these positions
            store_rows(syn0, ring, base, buf, stored, i + 1 - window)
            stored = i + 1 - window
    if local:
        store_rows(syn0, ring, base, buf, stored, loaded)
    store_hot(tree[0], hot)
    return n, loss, nloss


def make_runner(model, keep, table, st, max_chunk: int, loss_every: int, threads: int = 1):
    """A per-thread function run(ids, ends, alpha, seed) -> (trained, loss, n) with its own
    scratch, over ``model``'s shared tables; ``st`` is the run's TrainSettings."""
    syn0 = model.vectors
    syn1 = model.output if st.negative > 0 else syn0
    tree = tree_of(model, st)
    hot = hot_of(model, st, threads)
    win, k, G, dim = st.window, st.negative, cbow_group(st), st.dim
    buf, lo, hi = (np.empty(max_chunk, np.int32) for _ in range(3))
    ctx = np.empty((G, 2 * win), np.int32)
    cnt = np.empty(G, np.int32)
    centres = np.empty(G, np.int32)
    negs = np.empty((2, k), np.int32)
    h = np.empty((G, dim), np.float32)
    dh = np.empty((G, dim), np.float32)
    g = np.empty((G, k + 1), np.float32)
    path_scratch = (np.empty((G, dim), np.float32), np.empty((G, dim), np.float32),
                    np.empty(tree[1].shape[1], np.float32))
    local = st.context_rows == "window"
    ring, base = make_ring(st, G * (2 * win + 1) + 2 * win + 2)

    if k == 0:
        def run(ids, ends, alpha, seed):
            return train_cbow_hs_chunk(syn0, tree, hot, ids, ends, keep, win, np.float32(alpha),
                                       st.keep_unk, seed, loss_every, buf, lo, hi, ctx, cnt,
                                       path_scratch, local, ring, base)

        return run

    def run(ids, ends, alpha, seed):
        return train_cbow_chunk(syn0, syn1, tree, hot, ids, ends, keep, table, win, k,
                                np.float32(alpha), st.keep_unk, seed, loss_every, G, buf, lo, hi,
                                ctx, cnt, centres, negs, h, dh, g, path_scratch, local, ring,
                                base)

    return run
