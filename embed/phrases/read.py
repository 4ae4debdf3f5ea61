"""Reading a corpus for phrases: words, an int32 id stream and int64 sentence ends.

The text is tokenised by the same rules as the vocabulary (``embed.data.tokens``: ``words`` by
default, ``text8``, or ``split`` for tokens as they are) and read by ``embed.data.corpus`` (files,
directories, .gz/.bz2, stdin; binary and non-UTF-8 input refused there). Sentences are lines,
cut every 10,000 tokens as gensim's ``LineSentence`` cuts them (text8 is one line); a file's
end ends a sentence. With ``split`` a corpus this package wrote (``new_york``) reads back as it
was written, so ``embed phrases --tokens split`` on its own output is one more pass; ``words``
splits at the delimiter like at any other punctuation.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from embed.data.corpus import STDIN, CorpusReader, input_bytes
from embed.data.wordtable import WordTable
from embed.errors import EmbedError
from embed.phrases.words import WordIndex



@dataclass
class Encoded:
    """A corpus as ids. words/counts: int32 id -> token / occurrences (every count >= 1);
    ids int32 [n]; ends int64 [s]: sentence end offsets, strictly increasing, last == n."""

    words: list[str]
    counts: np.ndarray
    ids: np.ndarray
    ends: np.ndarray

    @property
    def index(self) -> WordIndex:
        return WordIndex(self.words)


def read_corpus(source: str | os.PathLike, *, tokens: str = "words", progress=None) -> Encoded:
    """Read ``source`` (a file, a directory of files, or ``"-"`` for stdin) into ids.

    ``progress``, if given, is called with the input bytes consumed since its last call.
    EmbedError for a missing, unreadable, binary or wordless corpus.
    """
    table = WordTable()
    # a word takes at least 2 bytes; untouched pages of np.empty cost no memory
    ids = np.empty((input_bytes(source) or 0) // 2 + (1 << 20), dtype=np.int32)
    n = 0
    for block in CorpusReader(source, tokens).blocks(progress):
        if n + len(block) // 2 + 1 > len(ids):  # compressed or stdin input outgrew the guess
            ids = np.concatenate((ids[:n], np.empty(len(ids) + len(block), dtype=np.int32)))
        n = table.encode_into(block, ids, n)
    table.end_sentence(n)
    if n == 0:
        where = "stdin" if isinstance(source, str) and source == STDIN else str(source)
        raise EmbedError(f"corpus has no words: {where}")
    words = table.words()
    counts = table.counts[:len(table)].copy()
    return Encoded(words, counts, ids[:n], table.sentence_ends().copy())
