"""What every reader checks about the vectors it read, whatever the format."""
from __future__ import annotations

import numpy as np

from embed.errors import EmbedError

_BLOCK = 65_536  # rows checked at once: bounds the boolean scratch for multi-gigabyte matrices


def first_non_finite(vectors: np.ndarray) -> int | None:
    """Index of the first row of `vectors` [n, dim] holding NaN or infinity, or None.

    Such a row would silently answer nothing (a NaN cosine never ranks), so readers refuse it
    and name where it is in their own terms (line, record, row)."""
    for start in range(0, vectors.shape[0], _BLOCK):
        finite = np.isfinite(vectors[start:start + _BLOCK]).all(axis=1)
        if not finite.all():
            return start + int(np.argmin(finite))
    return None


def refuse_non_finite_rows(path, vectors: np.ndarray, words, offset: int = 0) -> None:
    """EmbedError naming `path` and the row (1-based, `offset` rows of the file before
    `vectors`) and word of the first row of `vectors` with NaN or infinity."""
    bad = first_non_finite(vectors)
    if bad is not None:
        raise EmbedError(f"{path}: row {offset + bad + 1} ({words[bad]!r}) contains NaN or "
                         "infinity; damaged file?")
