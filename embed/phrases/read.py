"""ADAPTER: the one place where embed.phrases reads and tokenises text.

Everything else in the package works on what :func:`read_corpus` returns (words, an int32 id
stream and int64 sentence ends), so pointing phrases at another tokenizer means rewriting this
module only. For now it uses the pieces of ``embed.data`` as they are:

- the raw byte blocks of ``embed.data.corpus`` (files, directories, .gz/.bz2, stdin; binary and
  non-UTF-8 input refused there), read here with their line ends;
- text8's normalisation (A-Z lowered, a-z kept, every other byte a separator, so Unicode text
  is read without error, ``café`` as ``caf``), except that the bytes of an ASCII delimiter are
  kept inside words: a corpus this package wrote (``new_york``) reads back as it was written,
  so running ``embed phrases`` on its own output is one more pass;
- ``embed.data.encode.WordTable`` for the ids.

Sentences are lines, cut every 10,000 tokens as gensim's ``LineSentence`` cuts them (text8 is
one line); a file's end ends a sentence; lines without words are no sentences.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np
from numba import njit

from embed.data.corpus import STDIN, _read_blocks, _sources, input_bytes
from embed.data.encode import WordTable
from embed.errors import EmbedError
from embed.phrases.words import WordIndex

MAX_SENTENCE = 10_000
_NEWLINE = b"\n"


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


def _byte_table(delimiter: str) -> bytes:
    keep = {b for b in delimiter.encode("utf-8") if 33 <= b <= 126}
    return bytes(b if 97 <= b <= 122 or b in keep else b + 32 if 65 <= b <= 90
                 else 10 if b == 10 else 32 for b in range(256))


@njit(cache=True, nogil=True)
def _cut_sentences(ids, max_len, ends):
    """Drop the line-end tokens (id 0) and shift the others down by one, in place.

    ids int32 [n]; ends int64 [>= n]: receives the sentence ends (a line end, or every
    ``max_len`` tokens of a longer line). Returns (tokens kept, sentences).
    """
    j = 0
    k = 0
    run = 0
    for i in range(ids.shape[0]):
        w = ids[i]
        if w == 0:
            if run > 0:
                ends[k] = j
                k += 1
                run = 0
            continue
        ids[j] = w - 1
        j += 1
        run += 1
        if run == max_len:
            ends[k] = j
            k += 1
            run = 0
    if run > 0:
        ends[k] = j
        k += 1
    return j, k


def _pieces(source, translate: bytes, progress) -> Iterator[bytes]:
    """Normalised text in whole words, line ends kept; each file's end is a line end."""
    for name, stream, raw in _sources(source):
        carry, seen = b"", 0
        for block in _read_blocks(stream, name, 1 << 20, None):
            if progress is not None and raw is not None:  # raw: the compressed bytes
                seen, before = raw.tell(), seen
                progress(seen - before)
            block = carry + block.translate(translate)
            cut = max(block.rfind(b" "), block.rfind(_NEWLINE))
            carry = block[cut + 1:]
            if cut >= 0:
                yield block[:cut + 1]
        yield carry + _NEWLINE


def read_corpus(source: str | os.PathLike, *, delimiter: str = "_", progress=None,
                max_sentence: int = MAX_SENTENCE) -> Encoded:
    """Read ``source`` (a file, a directory of files, or ``"-"`` for stdin) into ids.

    ``progress``, if given, is called with the input bytes consumed since its last call.
    EmbedError for a missing, unreadable, binary or wordless corpus.
    """
    table = WordTable()
    table.ids(_NEWLINE)  # the line end is word 0, so one numba call encodes a block of lines
    # a word takes at least 2 bytes; untouched pages of np.empty cost no memory
    ids = np.empty((input_bytes(source) or 0) // 2 + (1 << 20), dtype=np.int32)
    n = 0
    for piece in _pieces(source, _byte_table(delimiter), progress):
        piece = piece.replace(_NEWLINE, b" \n ")
        if n + len(piece) // 2 + 1 > len(ids):  # compressed or stdin input outgrew the guess
            ids = np.concatenate((ids[:n], np.empty(len(ids) + len(piece), dtype=np.int32)))
        n = table.encode_into(piece, ids, n)
    ids = ids[:n]
    ends = np.empty(n, dtype=np.int64)
    n_tokens, n_sentences = _cut_sentences(ids, max_sentence, ends)
    if n_tokens == 0:
        where = "stdin" if isinstance(source, str) and source == STDIN else str(source)
        raise EmbedError(f"corpus has no words: {where}")
    words = table.words()[1:]
    counts = table.counts[1:len(table)].copy()
    return Encoded(words, counts, ids[:n_tokens], ends[:n_sentences])
