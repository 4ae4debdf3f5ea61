"""Skip-gram and CBOW teaching batches, exactly as the seed describes them.

Both generators walk the corpus one centre word at a time, starting at the first word that has a
full window (``ids[R]``), continue where the previous batch stopped, and wrap back to the start
when the next window would run past the end of the corpus (windows never straddle the end).

Skip-gram (``batch_size`` B, ``num_skips`` S, ``skip_window`` R): each centre fills S slots of
the batch, each slot paired with a different word of its 2R-word window, chosen at random
(seeded) — with S = 2R every context word appears once, in random order. On the text8 opening
"anarchism originated as a term of ..." with B=8, S=2, R=1 the batch is
``originated originated as as a a term term``.

CBOW (``batch_size`` B, ``context`` R): each row holds the 2R words around a centre, left to
right, and the label is the centre: ``[anarchism as] -> originated`` for R=1.
"""
from __future__ import annotations

import numpy as np

from embed.errors import EmbedError


def _as_ids(ids) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise EmbedError(f"ids must be a 1-D array, got shape {ids.shape}")
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise EmbedError(f"ids must be integers, got {ids.dtype}")
    return ids


def _positive(name: str, value) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise EmbedError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class _WindowWalker:
    """Centre positions R, R+1, ..., n-1-R, then R again: ``take(k)`` returns the next k."""

    def __init__(self, ids, window: int, what: str):
        self.ids = _as_ids(ids)
        self.window = window
        span = 2 * window + 1
        if len(self.ids) < span:
            raise EmbedError(f"{what} {window} needs at least {span} words of corpus, "
                             f"got {len(self.ids)}")
        self.n_centres = len(self.ids) - 2 * window
        self.cursor = 0  # index of the next centre among the n_centres valid ones

    def take(self, k: int) -> np.ndarray:
        centres = self.window + (self.cursor + np.arange(k, dtype=np.int64)) % self.n_centres
        self.cursor = (self.cursor + k) % self.n_centres
        return centres

    def reset(self) -> None:
        """Start again at the first centre word."""
        self.cursor = 0


def _offsets(window: int) -> np.ndarray:
    """Context offsets left to right: -R..-1, 1..R."""
    return np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)]).astype(np.int64)


class SkipGramBatcher(_WindowWalker):
    """Skip-gram (centre, context) pairs.

    ``next()`` -> ``(batch, labels)``: ``batch`` int32 [batch_size] centre ids, each repeated
    ``num_skips`` times; ``labels`` int32 [batch_size, 1] the chosen context ids.
    """

    def __init__(self, ids, batch_size: int, num_skips: int, skip_window: int, seed=None):
        batch_size = _positive("batch_size", batch_size)
        num_skips = _positive("num_skips", num_skips)
        skip_window = _positive("skip_window", skip_window)
        if batch_size % num_skips:
            raise EmbedError(f"batch_size ({batch_size}) must be a multiple of num_skips "
                             f"({num_skips})")
        if num_skips > 2 * skip_window:
            raise EmbedError(f"num_skips ({num_skips}) cannot exceed 2 * skip_window "
                             f"({2 * skip_window}): a window has only that many context words")
        super().__init__(ids, skip_window, "skip_window")
        self.batch_size = batch_size
        self.num_skips = num_skips
        self.skip_window = skip_window
        self.rng = np.random.default_rng(seed)
        self._offsets = _offsets(skip_window)

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        k = self.batch_size // self.num_skips
        centres = self.take(k)
        # A random permutation of the 2R offsets per centre; its first num_skips are used.
        order = np.argsort(self.rng.random((k, len(self._offsets))), axis=1)[:, : self.num_skips]
        context = centres[:, None] + self._offsets[order]
        batch = np.repeat(self.ids[centres], self.num_skips).astype(np.int32)
        labels = self.ids[context].reshape(-1, 1).astype(np.int32)
        return batch, labels

    __next__ = next

    def __iter__(self):
        return self


class CBOWBatcher(_WindowWalker):
    """CBOW (context, centre) examples.

    ``next()`` -> ``(contexts, labels)``: ``contexts`` int32 [batch_size, 2*context] the words
    around each centre, left to right; ``labels`` int32 [batch_size] the centre ids.
    """

    def __init__(self, ids, batch_size: int, context: int):
        batch_size = _positive("batch_size", batch_size)
        context = _positive("context", context)
        super().__init__(ids, context, "context")
        self.batch_size = batch_size
        self.context = context
        self._offsets = _offsets(context)

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        centres = self.take(self.batch_size)
        contexts = self.ids[centres[:, None] + self._offsets].astype(np.int32)
        labels = self.ids[centres].astype(np.int32)
        return contexts, labels

    __next__ = next

    def __iter__(self):
        return self
