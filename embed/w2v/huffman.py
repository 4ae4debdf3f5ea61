"""The Huffman tree of hierarchical softmax, built as word2vec.c's ``CreateBinaryTree`` builds it.

Leaves are the trained words (every vocabulary id but UNK, UNK too with ``keep_unk``), taken in
falling count order (our vocabulary's order already; ties keep id order). word2vec.c merges two
queues: the leaves from the rarest up, and the inner nodes in the order they are made (their
counts never fall). Each step joins the two smallest heads into inner node ``a`` (a = 0, 1, ...,
L - 2, the root last); on a tie between the two queues the inner node is taken first
(word2vec.c's strict ``count[pos1] < count[pos2]``). The first of the pair gets code 0, the
second code 1.

A word's path runs from the root down: ``points[w, j]`` is the inner node (a row of the node
table, [L - 1, dim]) met at depth j and ``codes[w, j]`` the branch taken there; the logistic
label at that node is 1 - code, as in word2vec.c. Rows are padded past ``lengths[w]`` (points
0, codes 0) and words that are not leaves (a dropped UNK) have length 0.

gensim builds the same tree whenever no two counts compared are equal: its heap compares counts
only, so on a tie which node pops first depends on the heap's layout, where word2vec.c's rule is
fixed. Both are Huffman trees (the same total count-weighted path length).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.errors import EmbedError

# The names under which a model keeps its tree and node table (``Word2VecModel.arrays``).
CODES, POINTS, LENGTHS, NODES = "hs_codes", "hs_points", "hs_lengths", "hs_nodes"


@njit(cache=True)
def _merge(counts):
    """word2vec.c's two-queue merge over ``counts`` (int64 [L], falling). Returns parent int64
    [2L - 1] (node ids: leaves 0..L-1 in the given order, inner node a as L + a) and branch
    uint8 [2L - 1] (the code of the edge up to the parent)."""
    n = counts.shape[0]
    count = np.empty(2 * n - 1, np.int64)
    count[:n] = counts
    parent = np.zeros(2 * n - 1, np.int64)
    branch = np.zeros(2 * n - 1, np.uint8)
    pos1 = n - 1      # next leaf, from the rarest
    pos2 = n          # next inner node, in creation order
    pair = np.empty(2, np.int64)
    for a in range(n - 1):
        for k in range(2):
            if pos1 >= 0 and (pos2 >= n + a or count[pos1] < count[pos2]):
                pair[k] = pos1
                pos1 -= 1
            else:
                pair[k] = pos2
                pos2 += 1
        count[n + a] = count[pair[0]] + count[pair[1]]
        parent[pair[0]] = n + a
        parent[pair[1]] = n + a
        branch[pair[1]] = 1
    return parent, branch


@njit(cache=True)
def _paths(parent, branch, n):
    """Depth of every leaf, then each leaf's (codes, points) from the root down."""
    root = 2 * n - 2
    depth = np.zeros(n, np.int32)
    for leaf in range(n):
        b = leaf
        while b != root:
            depth[leaf] += 1
            b = parent[b]
    width = max(1, depth.max())
    codes = np.zeros((n, width), np.uint8)
    points = np.zeros((n, width), np.int32)
    for leaf in range(n):
        b = leaf
        j = depth[leaf]
        while b != root:
            j -= 1
            codes[leaf, j] = branch[b]
            points[leaf, j] = parent[b] - n
            b = parent[b]
    return codes, points, depth


def leaf_ids(counts: np.ndarray, keep_unk: bool) -> np.ndarray:
    """int64 [L]: the vocabulary ids that are leaves, in falling count order (stable)."""
    ids = np.arange(0 if keep_unk else 1, len(counts))
    return ids[np.argsort(-np.asarray(counts, np.int64)[ids], kind="stable")]


def build_tree(counts: np.ndarray, keep_unk: bool = False) -> dict[str, np.ndarray]:
    """The tree over a vocabulary with ``counts`` (int [V], id order, UNK first): codes uint8
    [V, D], points int32 [V, D], lengths int32 [V] (D the deepest path), by their names
    (``CODES``, ``POINTS``, ``LENGTHS``). EmbedError if fewer than two words are leaves."""
    leaves = leaf_ids(counts, keep_unk)
    if len(leaves) < 2:
        raise EmbedError(f"hierarchical softmax (--hs) needs at least two words in the "
                         f"vocabulary to build its tree, this one has {len(leaves)} "
                         "(lower --min-count or use more text)")
    parent, branch = _merge(np.asarray(counts, np.int64)[leaves])
    c, p, d = _paths(parent, branch, len(leaves))
    V = len(counts)
    codes = np.zeros((V, c.shape[1]), np.uint8)
    points = np.zeros((V, c.shape[1]), np.int32)
    lengths = np.zeros(V, np.int32)
    codes[leaves], points[leaves], lengths[leaves] = c, p, d
    return {CODES: codes, POINTS: points, LENGTHS: lengths}


def fresh_arrays(counts: np.ndarray, keep_unk: bool, dim: int) -> dict[str, np.ndarray]:
    """A new model's tree (``build_tree``) and its node table, float32 [L - 1, dim] of zeros
    (word2vec.c starts syn1 at 0)."""
    arrays = build_tree(counts, keep_unk)
    arrays[NODES] = np.zeros((node_count(len(counts), keep_unk), dim), np.float32)
    return arrays


def node_count(vocab_size: int, keep_unk: bool) -> int:
    """Inner nodes (rows of the node table) of the tree over a vocabulary of ``vocab_size``."""
    return vocab_size - (0 if keep_unk else 1) - 1


def check_tree(arrays: dict, vocab_size: int, dim: int, keep_unk: bool, where) -> None:
    """The saved tree and node table fit the vocabulary and each other: every path point a row
    of the node table, every code 0 or 1, every trained word a leaf. A damaged tree would send a
    kernel outside its tables, so it is an EmbedError naming the array."""
    nodes_wanted = node_count(vocab_size, keep_unk)
    missing = [n for n in (CODES, POINTS, LENGTHS, NODES) if n not in arrays]
    if missing:
        raise EmbedError(f"{where}: the model trains hierarchical softmax but has no "
                         f"{', '.join(m + '.npy' for m in missing)}; it cannot be resumed")
    codes, points, lengths, nodes = (arrays[n] for n in (CODES, POINTS, LENGTHS, NODES))
    width = codes.shape[1] if codes.ndim == 2 else -1
    for name, a, dtype, shape in ((CODES, codes, np.uint8, (vocab_size, width)),
                                  (POINTS, points, np.int32, (vocab_size, width)),
                                  (LENGTHS, lengths, np.int32, (vocab_size,)),
                                  (NODES, nodes, np.float32, (nodes_wanted, dim))):
        if a.dtype != dtype or a.shape != shape or width < 1:
            raise EmbedError(f"{where}: {name}.npy is {a.dtype} {a.shape}; the vocabulary and "
                             f"settings need {np.dtype(dtype)} {shape}")
    first = 0 if keep_unk else 1
    if lengths.min() < 0 or lengths.max() > width or lengths[first:].min() < 1:
        raise EmbedError(f"{where}: {LENGTHS}.npy is damaged: path lengths must lie in "
                         f"[1, {width}] for every trained word")
    on_path = np.arange(width)[None, :] < lengths[:, None]
    if points[on_path].min() < 0 or points[on_path].max() >= nodes_wanted:
        raise EmbedError(f"{where}: {POINTS}.npy is damaged: a path leaves the "
                         f"{nodes_wanted}-row node table")
    if codes[on_path].max() > 1:
        raise EmbedError(f"{where}: {CODES}.npy is damaged: codes must be 0 or 1")
