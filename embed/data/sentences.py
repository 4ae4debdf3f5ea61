"""Encode an iterable of token lists, as gensim's ``Word2Vec(sentences=...)`` takes them.

One pass over the iterable (a list, or a generator that can be read only once): each new token
gets a provisional id in a dict, the ids go straight into a growing int32 array, and the
vocabulary is ranked from their counts at the end and applied in place, so no copy of the
tokens is held beyond the ids and the distinct words. Tokens are used as they are (the
``split`` rule: no lowercasing); a sentence longer than 10,000 tokens is cut into pieces of
10,000, as gensim does.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from embed.data.encode import EncodedCorpus, _remap
from embed.data.vocab import UNK, Vocabulary, rank_words
from embed.data.wordtable import MAX_SENTENCE
from embed.errors import EmbedError

SOURCE = "<iterable>"


def _bad_sentence(sentence, number: int) -> EmbedError:
    if isinstance(sentence, (str, bytes)):
        return EmbedError(f"sentence {number} is a bare string ({str(sentence)[:40]!r}...): give "
                          "each sentence as a list of tokens, e.g. text.split()")
    return EmbedError(f"sentence {number} is a {type(sentence).__name__}, not a list of tokens")


def _grow(arr: np.ndarray, need: int) -> np.ndarray:
    if need <= len(arr):
        return arr
    grown = np.empty(max(2 * len(arr), need), dtype=arr.dtype)
    grown[: len(arr)] = arr
    return grown


def encode_sentences(sentences: Iterable[list[str]], *, vocab_size: int = 50_000,
                     min_count: int = 1, vocab: Vocabulary | None = None) -> EncodedCorpus:
    """Count and encode token lists in one pass (see the module docstring).

    ``sentences``: an iterable of lists (or tuples) of str. ``vocab_size`` counts UNK; with
    ``vocab`` given the tokens are encoded with it (unknown -> 0) and it is returned as is. A
    bare string instead of a list, or a token that is not a str, is an EmbedError.
    """
    if vocab_size < 2:
        raise EmbedError(f"vocabulary size must be at least 2 (UNK and one word), got {vocab_size}")
    if min_count < 1:
        raise EmbedError(f"min_count must be at least 1, got {min_count}")
    if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Iterable):
        raise EmbedError("sentences must be an iterable of token lists, got "
                         f"{type(sentences).__name__}")
    # Provisional ids: 0 is the literal token "UNK" (never a vocabulary word), then 1, 2, ...
    index: dict[str, int] = {UNK: 0} if vocab is None else vocab.index
    miss = -1 if vocab is None else 0  # a vocabulary maps unknown tokens to UNK (0)
    ids = np.empty(1 << 16, dtype=np.int32)
    ends = np.empty(1 << 12, dtype=np.int64)
    n = n_ends = 0
    for number, sentence in enumerate(sentences, 1):
        if not isinstance(sentence, (list, tuple)):
            raise _bad_sentence(sentence, number)
        get = index.get
        try:
            row = [get(t, miss) for t in sentence]
        except TypeError:  # an unhashable token
            row = None
        if vocab is None and (row is None or -1 in row):
            row = _add_new(index, sentence, number)
        elif vocab is not None and row is not None and 0 in row:
            _check_tokens(sentence, number)
        elif row is None:
            _check_tokens(sentence, number)
        if not row:
            continue
        ids = _grow(ids, n + len(row))
        ids[n:n + len(row)] = row
        ends = _grow(ends, n_ends + len(row) // MAX_SENTENCE + 1)
        for cut in range(n + MAX_SENTENCE, n + len(row), MAX_SENTENCE):
            ends[n_ends] = cut
            n_ends += 1
        n += len(row)
        ends[n_ends] = n
        n_ends += 1
    if n == 0:
        raise EmbedError("the sentences hold no tokens")
    ids, ends = ids[:n], ends[:n_ends].copy()
    if vocab is None:
        vocab, lut = _rank(index, ids, vocab_size, min_count)
        _remap(ids, lut)
    h = hashlib.sha256("\n".join(vocab.words).encode("utf-8", "surrogatepass"))
    h.update(ids.tobytes())
    h.update(ends.tobytes())
    return EncodedCorpus(vocab, ids, ends, "split", "lines", SOURCE, h.hexdigest())


def _check_tokens(sentence, number: int) -> None:
    for t in sentence:
        if not isinstance(t, str):
            raise EmbedError(f"sentence {number} has a token that is a {type(t).__name__}, "
                             f"not a str: {t!r:.40}")


def _add_new(index: dict, sentence, number: int) -> list[int]:
    """Provisional ids of a sentence with new tokens, each new token checked to be a str."""
    row = []
    for t in sentence:
        i = index.get(t) if isinstance(t, str) else None
        if i is None:
            if not isinstance(t, str):
                raise EmbedError(f"sentence {number} has a token that is a "
                                 f"{type(t).__name__}, not a str: {t!r:.40}")
            i = index[t] = len(index)
        row.append(i)
    return row


def _rank(index: dict, ids: np.ndarray, vocab_size: int, min_count: int):
    """The vocabulary and the provisional -> final id table (provisional 0, UNK, stays 0)."""
    words = list(index)[1:]  # dict order is provisional id order
    counts = np.bincount(ids, minlength=len(index)).astype(np.int64)
    vocab, order = rank_words(words, counts[1:], vocab_size, min_count, tokens="split")
    vocab.counts[0] += int(counts[0])
    lut = np.zeros(len(index), dtype=np.int32)
    lut[order + 1] = np.arange(1, len(order) + 1, dtype=np.int32)
    return vocab, lut
