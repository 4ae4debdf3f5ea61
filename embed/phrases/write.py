"""Write an id stream as text: tokens separated by spaces, one sentence a line, UTF-8.

The spelling of every token goes into one byte arena and a numba kernel copies it out a slice
of sentences at a time, so writing costs no Python string per token.
"""
from __future__ import annotations

from typing import BinaryIO, Callable

import numpy as np
from numba import njit

_SPACE = 32
_NEWLINE = 10
_SLICE_TOKENS = 1 << 20


@njit(cache=True, nogil=True)
def _render(ids, ends, s0, s1, arena, offsets, lengths, buf):
    """Spell sentences s0..s1-1 into buf (uint8, large enough); return the bytes written.

    ids int32 [n], ends int64 [s]; token w is ``arena[offsets[w]:offsets[w] + lengths[w]]``.
    """
    n = 0
    start = 0 if s0 == 0 else ends[s0 - 1]
    for s in range(s0, s1):
        end = ends[s]
        for i in range(start, end):
            w = ids[i]
            if i > start:
                buf[n] = _SPACE
                n += 1
            o = offsets[w]
            for k in range(lengths[w]):
                buf[n + k] = arena[o + k]
            n += lengths[w]
        buf[n] = _NEWLINE
        n += 1
        start = end
    return n


def _arena(words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uint8 bytes of all words, int64 offsets, int64 lengths), word by word."""
    joined = np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)
    cuts = np.flatnonzero(joined == _NEWLINE)
    if len(cuts) == len(words) - 1:  # one join and one scan, unless a word holds a line end
        offsets = np.zeros(len(words), dtype=np.int64)
        offsets[1:] = cuts + 1
        ends = np.append(cuts, len(joined)) if len(words) else cuts
        return joined, offsets, ends - offsets
    spelled = [w.encode("utf-8") for w in words]
    lengths = np.fromiter(map(len, spelled), dtype=np.int64, count=len(spelled))
    offsets = np.zeros(len(spelled), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    return np.frombuffer(b"".join(spelled), dtype=np.uint8), offsets, lengths


def write_sentences(f: BinaryIO, words: list[str], ids: np.ndarray, ends: np.ndarray,
                    progress: Callable[[int], None] | None = None) -> int:
    """Write the sentences to binary file ``f``; return the bytes written.

    ``progress``, if given, is called with the number of sentences written since its last call.
    """
    arena, offsets, lengths = _arena(words)
    total = 0
    s0 = 0
    while s0 < len(ends):
        # whole sentences, about _SLICE_TOKENS tokens at a time
        start = int(ends[s0 - 1]) if s0 else 0
        s1 = max(s0 + 1, int(np.searchsorted(ends, start + _SLICE_TOKENS, side="right")))
        end = int(ends[s1 - 1])
        size = int(lengths[ids[start:end]].sum()) + (end - start) + (s1 - s0)
        buf = np.empty(size, dtype=np.uint8)
        n = _render(ids, ends, s0, s1, arena, offsets, lengths, buf)
        f.write(buf[:n].data)
        total += n
        if progress is not None:
            progress(s1 - s0)
        s0 = s1
    return total
