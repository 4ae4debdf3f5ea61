"""What every reader checks about the vectors it read, whatever the format."""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.errors import EmbedError


@njit(cache=True, nogil=True)
def _first_bad_row(bits):
    """First row of `bits` [n, dim] (uint32: float32 bit patterns) whose exponent bits are all
    ones (NaN or +-inf), or -1. Integer max reductions vectorise, where a float test would not
    without fastmath (which assumes NaN and inf away)."""
    for i in range(bits.shape[0]):
        top = np.uint32(0)
        for j in range(bits.shape[1]):
            top = max(top, bits[i, j] & np.uint32(0x7F800000))
        if top == np.uint32(0x7F800000):
            return i
    return -1


def first_non_finite(vectors: np.ndarray) -> int | None:
    """Index of the first row of `vectors` [n, dim] holding NaN or infinity as float32, or None.

    Such a row would silently answer nothing (a NaN cosine never ranks), so readers refuse it
    and name where it is in their own terms (line, record, row). One pass over float32 rows."""
    if vectors.size == 0:
        return None
    if vectors.dtype != np.float32:  # check what KeyedVectors will hold: 1e300 becomes inf
        with np.errstate(over="ignore", invalid="ignore"):
            vectors = vectors.astype(np.float32)
    bad = _first_bad_row(np.ascontiguousarray(vectors).view(np.uint32))
    return None if bad < 0 else int(bad)


def refuse_non_finite_rows(path, vectors: np.ndarray, words, offset: int = 0) -> None:
    """EmbedError naming `path`, the row (0-based, as numpy and `embed.modeldir` count; `offset`
    rows of the file come before `vectors`) and the word of the first row of `vectors` that
    holds NaN or infinity."""
    bad = first_non_finite(vectors)
    if bad is not None:
        raise EmbedError(f"{path}: row {offset + bad} ({words[bad]!r}) holds NaN or inf; "
                         "damaged file?")
