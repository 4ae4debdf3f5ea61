"""The plan of a run: which corpus words each chunk holds, its learning rate and its random seed.

A chunk is one kernel call: whole sentences gathered up to ``chunk_words`` words (a corpus
without sentence ends is cut every ``chunk_words`` words, text8's way). The learning rate of a
chunk depends only on its position in the whole run (epoch * corpus + offset), and its random
numbers only on (seed, epoch, chunk), so with one thread a run is bit-for-bit repeatable and a
resumed run continues the same schedule.
"""
from __future__ import annotations

import numpy as np

from embed.nn.schedules import Constant, LinearDecay
from embed.w2v.sampling import chunk_seed
from embed.w2v.settings import TrainSettings

# A resumed run on new text (online learning) starts a new round: its chunks draw other random
# numbers than the first round's chunks at the same positions.
_ROUND_STRIDE = 1_000_003


def chunk_starts(n: int, chunk_words: int, ends: np.ndarray | None = None) -> np.ndarray:
    """int64 [chunks + 1]: chunk boundaries over ``n`` words. With sentence ``ends`` (int64,
    increasing, last == n) a chunk holds whole sentences up to ``chunk_words`` words (a longer
    sentence is a chunk of its own); without, every ``chunk_words`` words."""
    if ends is None:
        return np.append(np.arange(0, n, chunk_words, dtype=np.int64), np.int64(n))
    starts = [0]
    lo = 0
    while lo < n:
        # the last sentence end within reach, or the first one past lo if none fits
        k = int(np.searchsorted(ends, lo + chunk_words, side="right")) - 1
        if k < 0 or ends[k] <= lo:
            k = int(np.searchsorted(ends, lo, side="right"))
        hi = int(ends[k])
        starts.append(hi)
        lo = hi
    return np.asarray(starts, dtype=np.int64)


class Schedule:
    """Chunks of a corpus of ``n`` words over ``settings.epochs`` epochs."""

    def __init__(self, n: int, settings: TrainSettings, ends: np.ndarray | None = None,
                 round_: int = 0):
        self.n = n
        self.settings = settings
        self.ends = None if ends is None else np.asarray(ends, dtype=np.int64)
        self.starts = chunk_starts(n, settings.chunk_words, self.ends)
        self.chunks = len(self.starts) - 1
        self.max_chunk = int(np.diff(self.starts).max()) if self.chunks else 0
        self.epochs = settings.epochs
        self.total = n * self.epochs
        self.round = round_
        st = settings
        self._rate = (Constant(st.alpha) if st.lr_schedule == "constant"
                      else LinearDecay(st.alpha, st.min_alpha, max(1, self.total)))

    def bounds(self, c: int) -> tuple[int, int]:
        return int(self.starts[c]), int(self.starts[c + 1])

    def sentence_ends(self, c: int) -> np.ndarray:
        """int32: chunk ``c``'s sentence ends, relative to its start (the last is its length)."""
        lo, hi = self.bounds(c)
        if self.ends is None:
            return np.array([hi - lo], dtype=np.int32)
        a, b = np.searchsorted(self.ends, [lo, hi], side="right")
        return (self.ends[a:b] - lo).astype(np.int32)

    def words_before(self, epoch: int, c: int) -> int:
        return epoch * self.n + int(self.starts[min(c, self.chunks)])

    def alpha(self, epoch: int, c: int) -> float:
        return self._rate(self.words_before(epoch, c))

    def seed(self, epoch: int, c: int) -> np.uint64:
        return np.uint64(chunk_seed(self.settings.seed + _ROUND_STRIDE * self.round, epoch, c))
