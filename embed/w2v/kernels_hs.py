"""Hierarchical softmax (``--hs``): the tree's part of the skip-gram and CBOW kernels.

The output layer is the Huffman tree of ``embed.w2v.huffman``: word w is predicted by the
logistic labels 1 - codes[w, j] at the inner nodes points[w, :lengths[w]], each a row of the
node table ``nodes`` float32 [L - 1, dim] (word2vec.c's syn1). The kernels pass the four
arrays as one tuple, ``tree`` = (nodes, points, codes, lengths); without hierarchical softmax
it holds empty arrays (``tree_of``) and the kernels skip the tree.

A model's kernel walks its chunk once and steps each of its output layers in turn, the tree
first, then the negatives (``negative`` > 0), as word2vec.c does with ``-hs 1 -negative k``
(which sums a context row's two gradients into one step where ours takes two steps):

- skip-gram (``kernels_sg``): as in word2vec.c each context row predicts the centre word, so
  every context of a centre meets the same path, and each block of (at most ``HS_BLOCK``)
  context rows is one ``sg_block`` step (HogBatch) against the path's node rows: the
  negative-sampling block with the path in place of [positive, negatives].
- CBOW (``kernels_cbow.cbow_hs_step``): h, the mean of a centre's context rows, against its
  path: the block's scores with h as the one input row, then the updates of the nodes and of h
  in one pass (with one input row no other row reads a node's old value); h's gradient goes to
  every context row, as in word2vec.c. With negatives CBOW visits its centres in the groups
  of the shared-negatives step; without, one by one in corpus order (groups of 1).

Both step the top of the tree (the ``HOT_ROWS`` most frequent nodes) in a per-thread copy
(``hot_of``, ``load_hot`` / ``store_hot`` at each chunk's start and end): other threads see
those nodes' updates a chunk late, and a single thread trains exactly as without the copy.

Windows and negatives are drawn from the same stream in the same order with or without the
tree (none for negatives when ``negative`` is 0), so the layered path's walkers
(``embed.w2v.examples``) yield this family's examples too.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.w2v.huffman import CODES, LENGTHS, NODES, POINTS
from embed.w2v.kernel_support import KERNEL_JIT, prefetch_row

# The top levels of the tree are on every path and stay in cache; prefetching pays from here on.
PREFETCH_DEPTH = 4
# The most frequent inner nodes (the top of the tree) are on most paths: every centre word of
# every thread writes them, and with two threads running at once the cache lines holding them
# moved between the cores on almost every step (two threads trained slower than one). Each
# thread steps its own copy of the HOT_ROWS last node rows (``hot_of``) and adds its change to
# the shared table at the end of each chunk.
HOT_ROWS = 256
# ... but only while few threads run at once: each copy adds a chunk's worth of changes made
# without seeing the others', and summed over many threads they overshoot. On the bench corpus
# (5 epochs, --hs --negative 0) CBOW diverged at 4 and at 16 threads with the copies; plain
# Hogwild on the shared rows is what more threads get.
HOT_THREADS = 2


def tree_of(model, st) -> tuple:
    """The kernels' ``tree`` tuple: the model's node table and paths, or empty arrays of the same
    types when the run has no hierarchical softmax."""
    if st.hs:
        return tuple(model.arrays[k] for k in (NODES, POINTS, CODES, LENGTHS))
    return (np.empty((0, st.dim), np.float32), np.empty((0, 1), np.int32),
            np.empty((0, 1), np.uint8), np.empty(0, np.int32))


def hot_of(model, st, threads: int, rows: int = HOT_ROWS) -> tuple:
    """One thread's copy of the top of the tree: ``hot`` = (local, base) float32 [K, dim], the
    working copy of the last K rows of the node table and their value when loaded (K = ``rows``
    or all inner nodes; 0 without hierarchical softmax). Nodes are numbered as they are made,
    a parent after its children, so the last rows are the most frequent nodes and a path's nodes
    from the root down fall: the hot ones (>= the table's length - K) come first."""
    k = min(rows, model.arrays[NODES].shape[0]) if st.hs and threads <= HOT_THREADS else 0
    return np.zeros((k, st.dim), np.float32), np.zeros((k, st.dim), np.float32)


@njit(**KERNEL_JIT)
def load_hot(nodes, hot):
    """Start a chunk: the thread's copy of the top of the tree from the shared node table."""
    local, base = hot
    cut = nodes.shape[0] - local.shape[0]
    for r in range(local.shape[0]):
        for d in range(nodes.shape[1]):
            v = nodes[cut + r, d]
            local[r, d] = v
            base[r, d] = v


@njit(**KERNEL_JIT)
def store_hot(nodes, hot):
    """End a chunk: add the thread's change of its copy to the shared table, node = local +
    (node - base), which keeps what other threads added meanwhile and is exactly ``local``
    when none did (one thread trains as if it wrote the table directly)."""
    local, base = hot
    cut = nodes.shape[0] - local.shape[0]
    for r in range(local.shape[0]):
        for d in range(nodes.shape[1]):
            nodes[cut + r, d] = local[r, d] + (nodes[cut + r, d] - base[r, d])


@njit(**KERNEL_JIT, inline="always")
def hot_prefix(nodes, local, points, lengths, w):
    """How many of word w's path nodes, from the root, are rows of the thread's copy."""
    cut = nodes.shape[0] - local.shape[0]
    n = lengths[w]
    top = 0
    while top < n and points[w, top] >= cut:
        top += 1
    return top


def cbow_group(st) -> int:
    """CBOW centre words per step: the shared-negatives group, or 1 without negatives."""
    return st.cbow_group if st.negative > 0 else 1


@njit(**KERNEL_JIT, inline="always")
def prefetch_path(nodes, points, lengths, w):
    """Start loading the deep node rows of word ``w``'s path (arrays of ``tree``, unpacked
    once per chunk: a tuple unpacked per centre word is reference-counted per centre word)."""
    for j in range(PREFETCH_DEPTH, lengths[w]):
        prefetch_row(nodes, points[w, j])
