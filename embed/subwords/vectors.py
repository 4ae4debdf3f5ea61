"""Subword vectors: a vector for any word from its own row and its character n-gram rows.

The input rows are fastText's, kept as two blocks: the vocabulary words' rows ``word_rows``
float32 [nwords, dim] (row i = word i) and the n-gram rows ``ngram_rows`` float32
[bucket, dim]. Row ids are fastText's: i for word i, ``nwords + hash % bucket`` for an n-gram
(`embed.subwords.ngrams`), so an id r >= nwords reads ``ngram_rows[r - nwords]``. Two blocks,
not one [nwords + bucket, dim] table, so that a trainer's model can keep its word vectors as
its ``vectors`` (UNK included) and the n-gram rows beside them, and a ``.bin`` maps both as
slices of one file.

A word's vector is the mean of its rows, as fastText's ``FastText::getWordVector`` computes
it: the rows added one after another in float32 (the word's own row first, then its n-grams in
fastText's order), the sum multiplied by ``float32(1 / count)``. An out-of-vocabulary word
averages its n-gram rows only; one with no n-gram row at all has no vector (fastText and
gensim return a zero vector for it, which ranks as nothing; we say so instead).

`SubwordVectors` keeps the blocks as given (read-only memory maps when they come from a
``.bin``): one word's vector reads only its own rows. The vocabulary's composed vectors,
[nwords, dim], that nearest-word queries scan are built on first use (`vectors`).

Queries for unknown words reach this class through `_oov_vector`, the hook that
`embed.vectors.KeyedVectors` calls for a word it does not hold; the class is meant to become a
`KeyedVectors` whose `vectors` are the composed ones and that overrides only that hook.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from numba import njit, prange

from embed.errors import EmbedError
from embed.subwords import fasttext_bin, ngrams
from embed.vectors import KeyedVectors, UnknownWordError


# Exact float32 arithmetic in fastText's order (no fastmath): equal vectors, not close ones.
@njit(cache=True, nogil=True)
def _mean_rows(word_rows, ngram_rows, rows, out):
    """out [dim] = mean of the rows `rows` (int32 [k], fastText's ids: r < nwords is
    word_rows[r], else ngram_rows[r - nwords]); zero when k = 0.
    word_rows float32 [nwords, dim], ngram_rows float32 [bucket, dim]."""
    nwords = word_rows.shape[0]
    out[:] = 0
    for r in rows:
        if r < nwords:
            for j in range(out.shape[0]):
                out[j] += word_rows[r, j]
        else:
            for j in range(out.shape[0]):
                out[j] += ngram_rows[r - nwords, j]
    if rows.shape[0] > 0:
        scale = np.float32(1.0 / rows.shape[0])
        for j in range(out.shape[0]):
            out[j] *= scale


@njit(cache=True, nogil=True, parallel=True)
def _compose(word_rows, ngram_rows, offsets, ids, out):
    """out [V, dim] = word w's mean of its rows ids[offsets[w]:offsets[w + 1]], every w."""
    for w in prange(out.shape[0]):
        _mean_rows(word_rows, ngram_rows, ids[offsets[w]:offsets[w + 1]], out[w])


def _block(name: str, rows: np.ndarray, n: int | None, dim: int | None) -> np.ndarray:
    if rows.ndim != 2 or rows.dtype != np.float32 or not rows.flags.c_contiguous:
        raise EmbedError(f"{name} must be a contiguous float32 matrix, got {rows.dtype} "
                         f"{rows.shape}")
    if (n is not None and rows.shape[0] != n) or (dim is not None and rows.shape[1] != dim):
        raise EmbedError(f"{name} is {rows.shape[0]:,} x {rows.shape[1]}, expected "
                         f"{n if n is not None else rows.shape[0]:,} x {dim}")
    return rows


class SubwordVectors:
    """Words, their rows and n-gram settings; a vector for any word with a known n-gram.

    Parameters
    ----------
    words : the vocabulary, length nwords (unique); word i owns row i of `word_rows`.
    word_rows : float32 [nwords, dim]; ngram_rows : float32 [bucket, dim] (bucket may be 0).
        Kept as given: memory maps stay memory maps.
    minn, maxn : fastText's n-gram lengths (maxn 0: no n-grams).
    counts : optional int [nwords] corpus counts.
    """

    def __init__(self, words: Sequence[str], word_rows: np.ndarray, ngram_rows: np.ndarray,
                 minn: int, maxn: int, counts=None):
        words = list(words)
        self.word_rows = _block("word_rows", word_rows, len(words), None)
        self.ngram_rows = _block("ngram_rows", ngram_rows, None, word_rows.shape[1])
        self.words = words
        self.index = dict(zip(words, range(len(words))))
        if len(self.index) != len(words):
            raise EmbedError("the word list has duplicates")
        self.minn, self.maxn = int(minn), int(maxn)
        self.bucket = self.ngram_rows.shape[0]
        self.counts = None if counts is None else np.asarray(counts, np.int64)
        self._vectors = None
        self._table_csr = None
        self._kv = None

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        """In the vocabulary (any word with a known n-gram also has a vector)."""
        return word in self.index

    def __repr__(self) -> str:
        return (f"SubwordVectors({len(self)} words, {self.bucket} buckets, dim {self.dim}, "
                f"n-grams {self.minn}..{self.maxn})")

    @property
    def dim(self) -> int:
        return self.word_rows.shape[1]

    def _blocks(self) -> tuple[np.ndarray, np.ndarray]:
        # plain views of memory maps (numba takes no np.memmap): nothing is read or copied
        return np.asarray(self.word_rows), np.asarray(self.ngram_rows)

    @property
    def subword_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(offsets int64 [V + 1], ids int32 [nnz]): each vocabulary word's rows, own row
        first (`embed.subwords.ngrams.subword_table`); built once, on first use."""
        if self._table_csr is None:
            self._table_csr = ngrams.subword_table(self.words, self.minn, self.maxn,
                                                   self.bucket)
        return self._table_csr

    @property
    def vectors(self) -> np.ndarray:
        """float32 [nwords, dim]: every vocabulary word's composed vector (reads the whole
        table once, in parallel; queries that scan the vocabulary need it)."""
        if self._vectors is None:
            offsets, ids = self.subword_table
            out = np.empty((len(self), self.dim), np.float32)
            _compose(*self._blocks(), offsets, ids, out)
            self._vectors = out
        return self._vectors

    def rows(self, word: str) -> np.ndarray:
        """int32 rows whose mean is `word`'s vector: [own row, n-gram rows...] for a vocabulary
        word, the n-gram rows alone for any other word (possibly none)."""
        i = self.index.get(word)
        if i is not None and self._table_csr is not None:
            offsets, ids = self._table_csr
            return ids[offsets[i]:offsets[i + 1]]
        found = ngrams.ngram_rows(word, self.minn, self.maxn, self.bucket, len(self))
        if i is None:
            return found
        return np.concatenate([np.array([i], np.int32), found])

    # ------------------------------------------------------------------ vectors
    def _oov_vector(self, word: str) -> np.ndarray | None:
        """Mean of the n-gram rows of a word outside the vocabulary; None when it has none."""
        rows = ngrams.ngram_rows(word, self.minn, self.maxn, self.bucket, len(self))
        if rows.shape[0] == 0:
            return None
        out = np.empty(self.dim, np.float32)
        _mean_rows(*self._blocks(), rows, out)
        return out

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """float32 [dim] vector of any word, as fastText's ``getWordVector``. A word outside the
        vocabulary without a single n-gram raises `UnknownWordError` (a `KeyError`)."""
        if not isinstance(word, str):
            raise UnknownWordError(f"{word!r} is not a word")
        i = self.index.get(word)
        if i is not None:
            if self._vectors is not None:
                v = self._vectors[i].copy()
            else:
                v = np.empty(self.dim, np.float32)
                _mean_rows(*self._blocks(), self.rows(word), v)
        else:
            v = self._oov_vector(word)
            if v is None:
                raise UnknownWordError(self._no_ngram_message(word))
        if norm:
            v /= np.linalg.norm(v) or 1.0
        return v

    def _no_ngram_message(self, word: str) -> str:
        if self.maxn == 0 or self.bucket == 0:
            return (f"{word!r} is not in the vocabulary ({len(self)} words) and this model has "
                    "no character n-grams")
        return (f"{word!r} is not in the vocabulary ({len(self)} words) and has no known n-gram "
                f"(n-grams of {self.minn}..{self.maxn} characters)")

    def __getitem__(self, word_or_words):
        """Vector [dim] of one word, or [k, dim] of a list of words."""
        if isinstance(word_or_words, str):
            return self.get_vector(word_or_words)
        return np.stack([self.get_vector(w) for w in word_or_words])

    def keyed_vectors(self) -> KeyedVectors:
        """The vocabulary's composed vectors as an `embed.vectors.KeyedVectors` (made once)."""
        if self._kv is None:
            self._kv = KeyedVectors(self.words, self.vectors, counts=self.counts)
        return self._kv

    def similarity(self, a: str, b: str) -> float:
        """Cosine of the vectors of two words (either may be out of the vocabulary)."""
        return float(np.dot(self.get_vector(a, norm=True), self.get_vector(b, norm=True)))

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """Vocabulary words nearest by cosine to `word`'s vector (`word` may be unknown to the
        vocabulary), leaving `word` itself out."""
        exclude = [word] if word in self.index else []
        return self.keyed_vectors().nearest(self.get_vector(word), topn, exclude=exclude)

    # ------------------------------------------------------------------ files
    @classmethod
    def from_fasttext(cls, model: fasttext_bin.FastTextModel) -> "SubwordVectors":
        """The words of a read ``.bin`` (labels left out); the rows stay views of its map."""
        n = model.nwords
        return cls(model.words, model.input[:n], model.input[n:], model.args.minn,
                   model.args.maxn, counts=model.counts)

    @classmethod
    def load_fasttext_bin(cls, path, mmap: bool = True) -> "SubwordVectors":
        """Vectors of a fastText ``.bin`` (the input matrix stays memory-mapped by default)."""
        return cls.from_fasttext(fasttext_bin.read_fasttext_bin(path, mmap=mmap))

    def to_fasttext(self, output: np.ndarray | None = None, **args) -> fasttext_bin.FastTextModel:
        """A `FastTextModel` of these vectors (the two row blocks are written one after the
        other, never joined in memory); `args` sets fastText's header fields (dim, minn, maxn
        and bucket are this object's)."""
        fields = dict(args, dim=self.dim, minn=self.minn, maxn=self.maxn, bucket=self.bucket)
        counts = self.counts if self.counts is not None else np.ones(len(self), np.int64)
        return fasttext_bin.FastTextModel(args=fasttext_bin.FastTextArgs(**fields),
                                          words=self.words, counts=counts,
                                          input=(self.word_rows, self.ngram_rows),
                                          output=output)

    def save_fasttext_bin(self, path, output: np.ndarray | None = None, **args) -> None:
        """Write fastText's ``.bin`` (`embed.subwords.fasttext_bin.write_fasttext_bin`)."""
        fasttext_bin.write_fasttext_bin(path, self.to_fasttext(output, **args))

    def save_vec(self, path) -> None:
        """Write the vocabulary's composed vectors as word2vec text (fastText's ``.vec``)."""
        fasttext_bin.write_vec(Path(path), self.words, self.vectors)
