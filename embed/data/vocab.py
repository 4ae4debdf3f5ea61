"""Vocabulary: id 0 is UNK, then the most frequent words.

UNK's count is the number of corpus tokens that fall outside the vocabulary, so the counts of all
entries add up to the corpus length. Ties in frequency are broken by the word itself (byte order),
so the same corpus always gives the same ids.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from embed.atomic import atomic_path
from embed.errors import EmbedError

UNK = "UNK"
UNK_ID = 0


class Vocabulary:
    """Words and their corpus counts, indexed by id. ``words[0]`` is always ``UNK``."""

    def __init__(self, words: list[str], counts: Iterable[int]):
        counts = np.asarray(list(counts) if not isinstance(counts, np.ndarray) else counts,
                            dtype=np.int64)
        if not words or words[0] != UNK:
            raise EmbedError(f"a vocabulary must start with {UNK}")
        if len(words) != len(counts):
            raise EmbedError("vocabulary words and counts differ in length")
        self.words = list(words)
        self.counts = counts
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise EmbedError("vocabulary has duplicate words")

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], size: int = 50_000,
                    min_count: int = 1) -> "Vocabulary":
        """Keep the ``size - 1`` most frequent words with at least ``min_count`` occurrences."""
        if size < 2:
            raise EmbedError(f"vocabulary size must be at least 2 (UNK and one word), got {size}")
        if min_count < 1:
            raise EmbedError(f"min_count must be at least 1, got {min_count}")
        ranked = sorted(((c, w) for w, c in counts.items() if c >= min_count and w != UNK),
                        key=lambda cw: (-cw[0], cw[1]))[: size - 1]
        kept = {w for _, w in ranked}
        unk = sum(c for w, c in counts.items() if w not in kept)
        return cls([UNK] + [w for _, w in ranked], [unk] + [c for c, _ in ranked])

    @classmethod
    def from_tokens(cls, tokens: Iterable[str], size: int = 50_000,
                    min_count: int = 1) -> "Vocabulary":
        return cls.from_counts(Counter(tokens), size=size, min_count=min_count)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __eq__(self, other) -> bool:
        return (isinstance(other, Vocabulary) and self.words == other.words
                and np.array_equal(self.counts, other.counts))

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words, {int(self.counts.sum())} tokens)"

    def id(self, word: str) -> int:
        return self.index.get(word, UNK_ID)

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        get = self.index.get
        return np.fromiter((get(t, UNK_ID) for t in tokens), dtype=np.int32)

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.words[int(i)] for i in ids]

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def save(self, path: str | os.PathLike) -> None:
        """Write ``word<TAB>count`` lines, id order, atomically."""
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                for w, c in zip(self.words, self.counts):
                    f.write(f"{w}\t{int(c)}\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        path = Path(path)
        if not path.is_file():
            raise EmbedError(f"vocabulary file not found: {path}")
        words, counts = [], []
        try:
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    line = line.rstrip("\n")
                    if not line:
                        continue
                    word, sep, count = line.rpartition("\t")
                    if not sep or not count.isdigit():
                        raise EmbedError(f"{path}:{lineno}: expected 'word<TAB>count', got {line[:60]!r}")
                    words.append(word)
                    counts.append(int(count))
        except UnicodeDecodeError:
            raise EmbedError(f"{path}: not a UTF-8 vocabulary file") from None
        if not words:
            raise EmbedError(f"{path}: empty vocabulary file")
        return cls(words, counts)
