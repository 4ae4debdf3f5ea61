"""Vocabulary: id 0 is UNK, then the most frequent words.

UNK's count is the number of corpus tokens that fall outside the vocabulary, so the counts of all
entries add up to the corpus length. Ties in frequency are broken by the word itself (code point
order), so the same corpus always gives the same ids.

A vocabulary knows the tokenisation rule that made its words (``tokens``: ``words``, ``text8``
or ``split``, see :mod:`embed.data.tokens`), so a query word can be spelled the same way. The
file form is ``word<TAB>count`` lines in id order, after one header line ``# tokens=RULE``; a
file without the header (written before rules existed) was made by the ``text8`` rule.
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
RULES = ("words", "text8", "split")  # embed.data.tokens.RULES, without importing numba here
LEGACY_RULE = "text8"


class Vocabulary:
    """Words and their corpus counts, indexed by id. ``words[0]`` is always ``UNK``."""

    def __init__(self, words: list[str], counts: Iterable[int], tokens: str = "words"):
        if tokens not in RULES:
            raise EmbedError(f"unknown tokens rule {tokens!r}: choose one of {', '.join(RULES)}")
        self.tokens = tokens
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
                    min_count: int = 1, tokens: str = "words") -> "Vocabulary":
        """Keep the ``size - 1`` most frequent words with at least ``min_count`` occurrences."""
        if size < 2:
            raise EmbedError(f"vocabulary size must be at least 2 (UNK and one word), got {size}")
        if min_count < 1:
            raise EmbedError(f"min_count must be at least 1, got {min_count}")
        words = [w for w in counts if w != UNK]
        vocab, _ = rank_words(words, np.array([counts[w] for w in words], dtype=np.int64),
                              size, min_count, tokens=tokens)
        vocab.counts[0] += counts.get(UNK, 0)  # a literal "UNK" token is out of vocabulary too
        return vocab

    @classmethod
    def from_tokens(cls, tokens: Iterable[str], size: int = 50_000, min_count: int = 1,
                    rule: str = "words") -> "Vocabulary":
        """The vocabulary of already split ``tokens``; ``rule`` records how they were made."""
        return cls.from_counts(Counter(tokens), size=size, min_count=min_count, tokens=rule)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __eq__(self, other) -> bool:
        return (isinstance(other, Vocabulary) and self.words == other.words
                and self.tokens == other.tokens and np.array_equal(self.counts, other.counts))

    def __repr__(self) -> str:
        return (f"Vocabulary({len(self)} words, {int(self.counts.sum())} tokens, "
                f"tokens={self.tokens!r})")

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
        """Write the ``# tokens=RULE`` header and ``word<TAB>count`` lines, id order,
        atomically."""
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(f"# tokens={self.tokens}\n")
                for w, c in zip(self.words, self.counts):
                    f.write(f"{w}\t{int(c)}\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        path = Path(path)
        if not path.is_file():
            raise EmbedError(f"vocabulary file not found: {path}")
        words, counts = [], []
        rule = LEGACY_RULE
        try:
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    line = line.rstrip("\n")
                    if not line:
                        continue
                    if lineno == 1 and line.startswith("#") and "\t" not in line:
                        rule = _header_rule(path, line)
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
        return cls(words, counts, tokens=rule)


def _header_rule(path, line: str) -> str:
    """The rule named by a ``# key=value ...`` header; keys other than tokens are skipped."""
    fields = dict(f.partition("=")[::2] for f in line[1:].split())
    rule = fields.get("tokens", LEGACY_RULE)
    if rule not in RULES:
        raise EmbedError(f"{path}:1: unknown tokens rule {rule!r} (this embed knows "
                         f"{', '.join(RULES)})")
    return rule


def rank_words(words, counts: np.ndarray, size: int, min_count: int,
               tokens: str = "words") -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary of the ``size - 1`` most frequent words with at least ``min_count``
    occurrences, and the provisional ids of its words after UNK, without touching most words.

    ``words(ids) -> list[str]`` spells provisional ids (a list works too); ``counts[i]`` is the
    count of provisional id ``i``. A partition finds the count at the cut; only words at or
    above it are spelled and sorted, ties in word order. UNK counts everything left out.
    """
    spell = words if callable(words) else (lambda ids: [words[i] for i in ids])
    keep = np.flatnonzero(counts >= min_count)
    room = size - 1
    if len(keep) > room:
        kc = counts[keep]
        cut = np.partition(kc, len(keep) - room)[len(keep) - room]
        tied = keep[kc == cut]
        if len(tied) > room - int((kc > cut).sum()):
            # Only the alphabetically first tied words fit: spell all the tied ones to choose.
            tied_words = spell(tied)
            first = sorted(range(len(tied)), key=tied_words.__getitem__)
            tied = tied[first[: room - int((kc > cut).sum())]]
        keep = np.concatenate([keep[kc > cut], tied])
    kept_words = spell(keep)
    # By word first, then a stable sort by falling count: (-count, word) order.
    by_word = sorted(range(len(keep)), key=kept_words.__getitem__)
    order = np.asarray(by_word, dtype=np.int64)
    order = order[np.argsort(-counts[keep][order], kind="stable")]
    kept_counts = counts[keep][order]
    unk = int(counts.sum()) - int(kept_counts.sum())
    vocab = Vocabulary([UNK] + [kept_words[i] for i in order.tolist()],
                       np.concatenate([[unk], kept_counts]).astype(np.int64), tokens=tokens)
    return vocab, keep[order]
