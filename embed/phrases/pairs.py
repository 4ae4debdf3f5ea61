"""A numba hash table keyed on (id, id) pairs: bigram counts, and the phrase table's lookups.

Open addressing with linear probing, as ``embed.data.encode.WordTable``, but with each slot's
key and count side by side in ``cells`` (uint64 [slots, 2]): counting a bigram touches one
cache line, not three, which matters for the millions of distinct bigrams of a corpus. A pair's
dense index (first-seen order) is kept in ``where`` [slots], and ``order`` [capacity] lists the
slots in that order, so every result built from the table is independent of the hash function.
At most half the slots are used; see :func:`pair_key` for the keys.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.w2v.kernel_support import prefetch_row

_EMPTY = np.uint64(0)  # keys are stored plus one, so a zeroed (calloc) table is empty
_AHEAD = 8  # the counting loop prefetches the slot of the pair this many tokens ahead


@njit(cache=True, nogil=True, inline="always")
def pair_key(a, b):
    """The stored key of pair (a, b), ids >= 0: ``(a << 32 | b) + 1``, never 0."""
    return ((np.uint64(a) << np.uint64(32)) | np.uint64(b)) + np.uint64(1)


@njit(cache=True, nogil=True, inline="always")
def unpack_key(key):
    """(a, b) of a stored key."""
    key -= np.uint64(1)
    return np.int32(key >> np.uint64(32)), np.int32(key & np.uint64(0xFFFFFFFF))


@njit(cache=True, nogil=True, inline="always")
def _mix(key):
    # murmur3's 64-bit finaliser: ids are small dense integers, so the raw key would crowd slots
    key ^= key >> np.uint64(33)
    key *= np.uint64(0xFF51AFD7ED558CCD)
    key ^= key >> np.uint64(33)
    key *= np.uint64(0xC4CEB9FE1A85EC53)
    key ^= key >> np.uint64(33)
    return key


@njit(cache=True, nogil=True, inline="always")
def find_pair(cells, where, key):
    """Dense index of ``key`` (see :func:`pair_key`) in the table, or -1."""
    mask = np.uint64(cells.shape[0] - 1)
    slot = _mix(key) & mask
    while True:
        k = cells[slot, 0]
        if k == key:
            return where[slot]
        if k == _EMPTY:
            return -1
        slot = (slot + np.uint64(1)) & mask


@njit(cache=True, nogil=True)
def _count_pairs(ids, ends, first, cells, where, order, state):
    """Count the adjacent pairs of sentences ``first``, ``first + 1``, ... of the id stream.

    ids int32 [n] (>= 0); ends int64 [s]: sentence end offsets into ids, increasing, so no pair
    spans a sentence end (ids has at least 2 entries). ``state[0]`` = pairs so far. Returns the first sentence not counted:
    ``len(ends)`` when done, earlier when that sentence might not fit (grow, call again).
    """
    n_pairs = state[0]
    cap = order.shape[0]
    mask = np.uint64(cells.shape[0] - 1)
    start = 0 if first == 0 else ends[first - 1]
    last = ids.shape[0] - 1
    for s in range(first, ends.shape[0]):
        end = ends[s]
        if n_pairs + (end - start) > cap:
            state[0] = n_pairs
            return s
        for i in range(start + 1, end):
            j = min(i + _AHEAD, last)  # may cross a sentence end: a wasted hint, no harm
            prefetch_row(cells, _mix(pair_key(ids[j - 1], ids[j])) & mask)
            key = pair_key(ids[i - 1], ids[i])
            slot = _mix(key) & mask
            while True:
                k = cells[slot, 0]
                if k == key:
                    cells[slot, 1] += np.uint64(1)
                    break
                if k == _EMPTY:
                    cells[slot, 0] = key
                    cells[slot, 1] = 1
                    where[slot] = n_pairs
                    order[n_pairs] = slot
                    n_pairs += 1
                    break
                slot = (slot + np.uint64(1)) & mask
        start = end
    state[0] = n_pairs
    return ends.shape[0]


@njit(cache=True, nogil=True)
def _rehash(old_cells, order, n_pairs, cells, where):
    mask = np.uint64(cells.shape[0] - 1)
    for p in range(n_pairs):
        key = old_cells[order[p], 0]
        slot = _mix(key) & mask
        while cells[slot, 0] != _EMPTY:
            slot = (slot + np.uint64(1)) & mask
        cells[slot, 0] = key
        cells[slot, 1] = old_cells[order[p], 1]
        where[slot] = p
        order[p] = slot


@njit(cache=True, nogil=True)
def _extract(cells, where, a, b, counts):
    # one sequential sweep of the slots, scattering into index order
    for slot in range(cells.shape[0]):
        key = cells[slot, 0]
        if key != _EMPTY:
            p = where[slot]
            a[p], b[p] = unpack_key(key)
            counts[p] = np.int64(cells[slot, 1])


@njit(cache=True, nogil=True)
def _touching(cells, where, mask, index, a, b, counts):
    """The pairs with a word of ``mask`` (bool [words]) in them, in slot order; returns how
    many (index/a/b/counts: [len(table)] each, the first ones written)."""
    n = 0
    for slot in range(cells.shape[0]):
        key = cells[slot, 0]
        if key != _EMPTY:
            x, y = unpack_key(key)
            if mask[x] or mask[y]:
                index[n] = where[slot]
                a[n], b[n] = x, y
                counts[n] = np.int64(cells[slot, 1])
                n += 1
    return n


@njit(cache=True, nogil=True)
def _at(cells, order, index, a, b, counts):
    for i in range(index.shape[0]):
        slot = order[index[i]]
        a[i], b[i] = unpack_key(cells[slot, 0])
        counts[i] = np.int64(cells[slot, 1])


@njit(cache=True, nogil=True)
def _lookup(cells, where, a, b, out):
    for i in range(a.shape[0]):
        out[i] = find_pair(cells, where, pair_key(a[i], b[i]))


class PairTable:
    """Counts of (a, b) id pairs, each with a dense index in first-seen order."""

    def __init__(self, capacity: int = 1 << 12):
        capacity = 1 << max(4, int(capacity - 1).bit_length())
        self._allocate(capacity)
        self.order = np.zeros(capacity, dtype=np.int64)
        self.state = np.zeros(1, dtype=np.int64)

    def _allocate(self, capacity: int) -> None:
        self.cells = np.zeros((2 * capacity, 2), dtype=np.uint64)
        self.where = np.empty(2 * capacity, dtype=np.int32)  # read only where a key is set

    def __len__(self) -> int:
        return int(self.state[0])

    def _grow(self, need: int) -> None:
        cap = self.order.shape[0]
        while cap < need:
            cap *= 2
        n = len(self)
        order = np.zeros(cap, dtype=np.int64)
        order[:n] = self.order[:n]
        old = self.cells
        self._allocate(cap)
        self.order = order
        _rehash(old, order, n, self.cells, self.where)

    @classmethod
    def counted(cls, ids: np.ndarray, ends: np.ndarray) -> "PairTable":
        """Count every adjacent pair inside each sentence of ``ids`` (int32 [n]; ends int64)."""
        table = cls(max(1 << 12, len(ids) // 4))
        s = 0
        while s < len(ends):
            s = _count_pairs(ids, ends, s, table.cells, table.where, table.order, table.state)
            if s < len(ends):
                start = int(ends[s - 1]) if s else 0
                table._grow(len(table) + int(ends[s]) - start)
        return table

    @classmethod
    def of_pairs(cls, a: np.ndarray, b: np.ndarray) -> "PairTable":
        """A table holding the distinct pairs (a[i], b[i]) with index i (counts all 1)."""
        n = len(a)
        ids = np.empty(2 * n, dtype=np.int32)
        ids[0::2] = a
        ids[1::2] = b
        table = cls.counted(ids, np.arange(2, 2 * n + 1, 2, dtype=np.int64))
        if len(table) != n:
            raise ValueError("of_pairs needs distinct pairs")
        return table

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(first ids int32, second ids int32, counts int64), in index order."""
        n = len(self)
        a, b = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
        counts = np.empty(n, dtype=np.int64)
        _extract(self.cells, self.where, a, b, counts)
        return a, b, counts

    def touching(self, mask: np.ndarray) -> tuple[np.ndarray, ...]:
        """(index int64, a, b, counts) of the pairs holding a word where ``mask`` (bool
        [words]) is set, in index order."""
        n = len(self)
        index, counts = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        a, b = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
        k = _touching(self.cells, self.where, mask, index, a, b, counts)
        order = np.argsort(index[:k], kind="stable")
        return index[:k][order], a[:k][order], b[:k][order], counts[:k][order]

    def at(self, index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(a int32, b int32, counts int64) of the pairs with these indices."""
        index = np.ascontiguousarray(index, dtype=np.int64)
        a, b = np.empty(len(index), dtype=np.int32), np.empty(len(index), dtype=np.int32)
        counts = np.empty(len(index), dtype=np.int64)
        _at(self.cells, self.order, index, a, b, counts)
        return a, b, counts

    def index(self, a, b) -> np.ndarray:
        """int64 index of each pair (a[i], b[i]), -1 where absent."""
        a = np.ascontiguousarray(a, dtype=np.int32)
        b = np.ascontiguousarray(b, dtype=np.int32)
        out = np.empty(len(a), dtype=np.int64)
        _lookup(self.cells, self.where, a, b, out)
        return out
