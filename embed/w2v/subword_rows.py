"""The rows of a subword (fastText) model's words, and the numba blocks that read and write them.

A word's input rows are its own row of ``syn0`` (model.vectors, float32 [V, dim], UNK at 0) and
its character n-gram rows of ``ngr`` (model.arrays["ngrams"], float32 [bucket, dim]). The
kernels take the n-gram rows of every vocabulary word as a CSR table over the vocabulary ids:
``noff`` int64 [V + 1], ``nrows`` int32 [nnz], word w's n-gram rows ``nrows[noff[w]:noff[w+1]]``
(indices into ``ngr``, fastText's order), its own row implied. The table is built from
`embed.subwords.ngrams.subword_table` at the start of every run and of every resume (a fraction
of a second for 50,000 words) rather than saved.

A word's vector is the mean of its k = 1 + (its n-grams) rows. Its gradient goes, whole, to
every one of those rows (fastText's unsupervised models: no 1 / k).

The kernels train a working copy of the n-gram rows the vocabulary uses (``working_rows``),
packed in order of first use by the most frequent words: ~200,000 of 2,000,000 rows on a
50,000-word vocabulary, the hot ones side by side, where the bucket order scatters them over
800 MB (about 15% faster). The copy is written back into the model's table before every
checkpoint and when the run ends (``model.sync_tables``).
"""
from __future__ import annotations

import weakref

import numpy as np
from numba import njit

from embed.data.vocab import UNK
from embed.subwords.ngrams import EOS, subword_table
from embed.w2v.kernel_support import KERNEL_JIT, prefetch_row, prefetch_row_l2

NGRAMS = "ngrams"   # the model family's array: model.arrays[NGRAMS]
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def ngram_csr(words, minn: int, maxn: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """(noff int64 [V + 1], nrows int32 [nnz]): each word's n-gram rows (see the module doc).
    UNK (a trainer's token for every word left out) and fastText's ``</s>`` own no n-grams."""
    offsets, ids = subword_table(words, minn, maxn, bucket, bare=(EOS, UNK))
    V = len(words)
    own = np.ones(len(ids), bool)
    own[offsets[:-1]] = False           # each word's first entry is its own row
    nrows = (ids[own] - V).astype(np.int32)
    noff = offsets - np.arange(V + 1, dtype=np.int64)
    return noff, nrows


def vocab_rows(model, st) -> tuple[np.ndarray, np.ndarray]:
    """The CSR n-gram table of ``model``'s vocabulary under settings ``st``, built once per model
    object and shared by its threads (and its layered path)."""
    key = (st.minn, st.maxn, st.bucket, len(model.vocab))
    got = _CACHE.get(model)
    if got is None or got[0] != key:
        got = (key, ngram_csr(model.vocab.words, st.minn, st.maxn, st.bucket))
        _CACHE[model] = got
    return got[1]


def working_rows(model, st) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(noff, crows, work) for one training run of the fused kernels: the CSR n-gram table with
    its rows renumbered into ``work`` float32 [used, dim], a packed copy of the rows the
    vocabulary uses. Registers the write-back ``model.syncs[NGRAMS]``."""
    noff, nrows = vocab_rows(model, st)
    table = model.arrays[NGRAMS]
    used, first, inverse = np.unique(nrows, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")     # first use, frequent words first
    rank = np.empty(len(used), np.int32)
    rank[order] = np.arange(len(used), dtype=np.int32)
    crows = rank[inverse].astype(np.int32)
    used = used[order]
    work = np.ascontiguousarray(table[used])

    def sync():
        table[used] = work

    model.syncs[NGRAMS] = sync
    return noff, crows, work


@njit(**KERNEL_JIT, inline="always")
def row_sum(syn0, ngr, noff, nrows, w, h):
    """h float32 [dim] = sum of word ``w``'s rows (own row, then its n-grams in order);
    returns the number of rows k."""
    dim = h.shape[0]
    for d in range(dim):
        h[d] = syn0[w, d]
    a, b = noff[w], noff[w + 1]
    for p in range(a, b):
        r = nrows[p]
        for d in range(dim):
            h[d] += ngr[r, d]
    return np.int64(1 + b - a)


@njit(**KERNEL_JIT, inline="always")
def compose(syn0, ngr, noff, nrows, w, h):
    """h float32 [dim] = mean of word ``w``'s rows (own row, then its n-grams in order);
    returns the number of rows k."""
    dim = h.shape[0]
    k = row_sum(syn0, ngr, noff, nrows, w, h)
    inv = _ONE / np.float32(k)
    for d in range(dim):
        h[d] *= inv
    return k


@njit(**KERNEL_JIT, inline="always")
def spread(syn0, ngr, noff, nrows, w, grad):
    """Add grad float32 [dim] to every row of word ``w`` (a repeated n-gram row gets it once
    per occurrence, as the gradient of the mean has it)."""
    dim = grad.shape[0]
    for d in range(dim):
        syn0[w, d] += grad[d]
    for p in range(noff[w], noff[w + 1]):
        r = nrows[p]
        for d in range(dim):
            ngr[r, d] += grad[d]


@njit(**KERNEL_JIT, inline="always")
def prefetch_word(syn0, ngr, noff, nrows, w):
    """Start loading every row of word ``w`` (the n-gram table is far larger than any cache)."""
    prefetch_row(syn0, w)
    for p in range(noff[w], noff[w + 1]):
        prefetch_row(ngr, nrows[p])


@njit(**KERNEL_JIT, inline="always")
def prefetch_word_l2(syn0, ngr, noff, nrows, w):
    """``prefetch_word`` into the second-level cache only (``prefetch_row_l2``)."""
    prefetch_row_l2(syn0, w)
    for p in range(noff[w], noff[w + 1]):
        prefetch_row_l2(ngr, nrows[p])


@njit(**KERNEL_JIT, inline="always")
def output_step(syn1, rows, coef, n, h, grad):
    """The output side of one example whose hidden vector h float32 [dim] met the output rows
    rows int32 [>= n] with gradient coefficients coef float32 [>= n] (label - sigmoid, times the
    rate): grad float32 [dim] = sum_t coef[t] syn1[rows[t]] and syn1[rows[t]] += coef[t] h, every
    gradient taken at the values before the step. A row met twice (a repeated context or
    negative) has its coefficients summed first, so one pass over each row does both."""
    for t in range(1, n):
        for u in range(t):
            if rows[u] == rows[t]:
                coef[u] += coef[t]
                coef[t] = _ZERO
                break
    dim = h.shape[0]
    for d in range(dim):
        grad[d] = _ZERO
    for t in range(n):
        c = coef[t]
        if c == _ZERO:
            continue
        r = rows[t]
        for d in range(dim):
            grad[d] += c * syn1[r, d]
            syn1[r, d] += c * h[d]


@njit(**KERNEL_JIT)
def _fill_bags(words, noff, nrows, V, offsets, ids):
    for b in range(words.shape[0]):
        w = words[b]
        p = offsets[b]
        ids[p] = w
        for q in range(noff[w], noff[w + 1]):
            p += 1
            ids[p] = V + nrows[q]


def word_bags(words: np.ndarray, noff: np.ndarray, nrows: np.ndarray,
              V: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids int64 [nnz], offsets int64 [len(words) + 1]): each word's rows as one bag, numbered
    as fastText numbers them (own row w, n-gram row r as V + r): the input of an
    `embed.nn.bag.EmbeddingBag` over (word rows, n-gram rows)."""
    words = np.ascontiguousarray(words, dtype=np.int32)
    counts = 1 + noff[words + 1] - noff[words]
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    ids = np.empty(offsets[-1], np.int64)
    _fill_bags(words, noff, nrows, np.int64(V), offsets, ids)
    return ids, offsets
