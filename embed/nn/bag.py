"""`EmbeddingBag`: the mean of a bag of rows, over tables whose rows are numbered in sequence.

A fastText word is the mean of its own row (in the word table) and its character n-gram rows
(in the n-gram table); a fastText CBOW hidden vector is the mean of every row of every context
word. Both are one bag of row ids over several tables: ids ``[0, n0)`` are rows of the first
table, ``[n0, n0 + n1)`` of the second, and so on, without ever joining the tables.

The gradient is row-sparse, one `SparseGrad` per table over exactly the rows the bags used
(repeats kept, as `Embedding`'s), each entry of bag i receiving ``grad_out[i] / len(bag i)``.
"""
from __future__ import annotations

import numpy as np

from .layers import Layer
from .sparse import SparseGrad


class EmbeddingBag(Layer):
    """Bag means over ``tables`` (a list of [n_t, dim] arrays, rows numbered in sequence).

    ``forward((ids, offsets))``: ids int [nnz], offsets int [n + 1] (bag i is
    ``ids[offsets[i]:offsets[i + 1]]``) -> [n, dim]; an empty bag gives zeros.
    ``backward(grad_out [n, dim])`` stores one `SparseGrad` per table and returns None (ids
    have no gradient). The tables are the layer's parameters, shared, not copied.
    """

    def __init__(self, tables):
        self.tables = list(tables)
        dims = {t.shape[1] for t in self.tables}
        if len(dims) != 1:
            raise ValueError(f"the tables must have one row width, got {sorted(dims)}")
        self.dim = dims.pop()
        self.starts = np.concatenate(([0], np.cumsum([len(t) for t in self.tables])))
        self._bags = None
        self._grads = [None] * len(self.tables)

    @property
    def num_rows(self) -> int:
        return int(self.starts[-1])

    def _split(self, ids):
        """For each table: (positions in ids, rows in that table)."""
        which = np.searchsorted(self.starts, ids, side="right") - 1
        return [(np.flatnonzero(which == t), ids[which == t] - self.starts[t])
                for t in range(len(self.tables))]

    def forward(self, bags):
        ids, offsets = bags
        ids = np.asarray(ids)
        offsets = np.asarray(offsets, dtype=np.int64)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"EmbeddingBag ids must be integers, got {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_rows):
            raise IndexError(f"row ids must be in [0, {self.num_rows})")
        counts = np.diff(offsets)
        dtype = self.tables[0].dtype
        rows = np.empty((len(ids), self.dim), dtype)
        for t, (where, local) in enumerate(self._split(ids)):
            rows[where] = self.tables[t][local]
        sums = np.zeros((len(counts), self.dim), dtype)
        bag_of = np.repeat(np.arange(len(counts)), counts)
        np.add.at(sums, bag_of, rows)
        self._bags = (ids, bag_of, counts)
        return sums / np.maximum(counts, 1)[:, None].astype(dtype)

    def backward(self, grad_out):
        ids, bag_of, counts = self._bags
        dtype = self.tables[0].dtype
        per_entry = (np.asarray(grad_out, dtype) / np.maximum(counts, 1)[:, None])[bag_of]
        self._grads = [SparseGrad(rows=local, values=np.ascontiguousarray(per_entry[where]))
                       for where, local in self._split(ids)]
        return None

    def params(self):
        return list(self.tables)

    def grads(self):
        return list(self._grads)
