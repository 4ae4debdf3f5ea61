"""Context rows held by one thread while they are in a window (``context_rows="window"``).

A kept word is a context of every centre word within ``window`` of it, so a kernel that reads and
writes ``syn0`` directly touches each context row about 2 * (mean reach) times in a few dozen
nanoseconds. With many threads the most frequent words' rows are then written by every core at
once and each touch can cost a cache-line transfer between cores (``scripts/row_writes.py``
counts it: context-row writes are most of the contended writes, three quarters of them to the
100 most frequent words). Here a position's row is copied into a small per-thread ring when the
position enters the lookahead and its change (copy - original) is added back to ``syn0`` once,
when no later centre word can use it: one shared read and one shared write per kept word.

What changes: a thread sees other threads' changes to a row only when it copies it (at most
about ``cbow_group * (2*window+1) + 2*window`` positions earlier), and two positions of the same
word in one window do not see each other's changes until both are written back; the sum of all
changes reaches ``syn0`` as before.

Ring: float32 [cap, dim] (the working copies, passed to ``sg_block`` / ``cbow_block`` in place of
``syn0``, with slot numbers in place of word ids) and an equal ``base`` (the rows as copied);
position p lives in slot p & (cap - 1).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.w2v.kernel_support import KERNEL_JIT


def ring_size(span: int) -> int:
    """Slots for ``span`` live positions: the next power of two (slot = position & (cap-1))."""
    cap = 1
    while cap < span:
        cap *= 2
    return cap


def make_ring(settings, span: int):
    """(ring, base) float32 [cap, dim] for ``span`` live positions, or 1-row dummies when the
    settings keep context rows shared."""
    cap = ring_size(span) if settings.context_rows == "window" else 1
    return (np.zeros((cap, settings.dim), np.float32),
            np.zeros((cap, settings.dim), np.float32))


@njit(**KERNEL_JIT, inline="always")
def _move_rows(syn0, ring, base, buf, start, stop, store):
    mask = ring.shape[0] - 1
    dim = syn0.shape[1]
    for p in range(start, stop):
        s = p & mask
        w = buf[p]
        if store:
            for d in range(dim):
                syn0[w, d] += ring[s, d] - base[s, d]
        else:
            for d in range(dim):
                v = syn0[w, d]
                ring[s, d] = v
                base[s, d] = v


@njit(**KERNEL_JIT)
def load_rows(syn0, ring, base, buf, start, stop):
    """Copy the rows of positions [start, stop) of ``buf`` into their slots."""
    _move_rows(syn0, ring, base, buf, start, stop, False)


@njit(**KERNEL_JIT)
def store_rows(syn0, ring, base, buf, start, stop):
    """Add the change of positions [start, stop) (ring - base) to their rows of ``syn0``."""
    _move_rows(syn0, ring, base, buf, start, stop, True)
