"""Token -> id lookups over a word list, built only when a lookup is made.

Hashing a corpus's 200,000+ words into a dict costs about 0.1 s; a pass over plain text never
looks a token up by its spelling (its phrases come from id pairs), so the dict waits for the
first lookup (a token holding the delimiter, or the Python API's transform).
"""
from __future__ import annotations

from collections.abc import Mapping


class WordIndex(Mapping):
    """``words[i] -> i`` (the first i, should a word repeat)."""

    def __init__(self, words: list[str]):
        self._words = words
        self._index: dict[str, int] | None = None

    def _built(self) -> dict[str, int]:
        if self._index is None:
            n = len(self._words)
            # reversed, so that the first of repeated words is the one kept
            self._index = dict(zip(reversed(self._words), range(n - 1, -1, -1)))
            self.get = self._index.get  # later lookups go straight to the dict, at C speed
        return self._index

    def __getitem__(self, word: str) -> int:
        return self._built()[word]

    def get(self, word, default=None):
        return self._built().get(word, default)

    def __contains__(self, word) -> bool:
        return word in self._built()

    def __iter__(self):
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())
