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

`SubwordVectors` is an `embed.vectors.KeyedVectors` whose rows are the vocabulary's composed
vectors and whose `_oov_vector` hook answers for any other word from its n-grams, so every
query, evaluation and export works for unknown words. It keeps the blocks as given (read-only
memory maps when they come from a ``.bin`` or a model directory): one word's vector reads only
its own rows, and the vocabulary's composed vectors [nwords, dim], which nearest-word queries
scan, are built on first use (`vectors`), never for a query that does not need them.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

import numpy as np
from numba import njit, prange

from embed import modeldir
from embed.data.vocab import UNK
from embed.errors import EmbedError
from embed.subwords import fasttext_bin, ngrams
from embed.vectors.checks import first_non_finite, refuse_non_finite_rows
from embed.vectors.keyed import KeyedVectors, UnknownWordError, _unit

# a fastText .bin's header fields from a trained model's settings (loss 2: negative sampling)
_MODEL_CODE = {"cbow": 1, "skipgram": 2}


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


class SubwordVectors(KeyedVectors):
    """Words, their rows and n-gram settings; a vector for any word with a known n-gram.

    Parameters
    ----------
    words : the vocabulary, length nwords (unique); word i owns row i of `word_rows`.
    word_rows : float32 [nwords, dim]; ngram_rows : float32 [bucket, dim] (bucket may be 0).
        Kept as given: memory maps stay memory maps.
    minn, maxn : fastText's n-gram lengths (maxn 0: no n-grams).
    counts : optional int [nwords] corpus counts.
    bare : words that own their row alone, no n-grams (fastText's ``</s>``, a trainer's UNK).
    output : optional float32 [nwords, dim] output rows (written to a ``.bin``).
    args : optional fastText header fields for a ``.bin`` (window, epochs, ... of training).
    """

    def __init__(self, words: Sequence[str], word_rows: np.ndarray, ngram_rows: np.ndarray,
                 minn: int, maxn: int, counts=None, bare: Sequence[str] = (ngrams.EOS,),
                 output: np.ndarray | None = None, args: dict | None = None, normalize=None):
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
        if self.counts is not None and len(self.counts) != len(words):
            raise EmbedError(f"{len(words)} words but {len(self.counts)} counts")
        self.bare = tuple(bare)
        self.output = output
        self.args = dict(args or {})
        self.normalize = normalize
        self._vectors = None
        self._normed = None
        self._table_csr = None

    # ------------------------------------------------------------------ basics
    def __repr__(self) -> str:
        return (f"SubwordVectors({len(self)} words, {self.bucket} buckets, dim {self.dim}, "
                f"n-grams {self.minn}..{self.maxn})")

    @property
    def dim(self) -> int:
        return self.word_rows.shape[1]

    def _blocks(self) -> tuple[np.ndarray, np.ndarray]:
        # plain views of memory maps (numba takes no np.memmap): nothing is read or copied
        return np.asarray(self.word_rows), np.asarray(self.ngram_rows)

    def _ngram_rows(self, word: str) -> np.ndarray:
        if word in self.bare:
            return np.empty(0, np.int32)
        return ngrams.ngram_rows(word, self.minn, self.maxn, self.bucket, len(self))

    @property
    def subword_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(offsets int64 [V + 1], ids int32 [nnz]): each vocabulary word's rows, own row
        first (`embed.subwords.ngrams.subword_table`); built once, on first use."""
        if self._table_csr is None:
            self._table_csr = ngrams.subword_table(self.words, self.minn, self.maxn,
                                                   self.bucket, bare=self.bare)
        return self._table_csr

    @property
    def vectors(self) -> np.ndarray:
        """float32 [nwords, dim]: every vocabulary word's composed vector (reads the whole
        table once, in parallel; queries that scan the vocabulary need it)."""
        if self._vectors is None:
            offsets, ids = self.subword_table
            out = np.empty((len(self), self.dim), np.float32)
            _compose(*self._blocks(), offsets, ids, out)
            bad = first_non_finite(out)
            if bad is not None:
                raise EmbedError(f"the vector of {self.words[bad]!r} holds NaN or inf (a "
                                 "damaged n-gram row)")
            self._vectors = out
        return self._vectors

    def rows(self, word: str) -> np.ndarray:
        """int32 rows whose mean is `word`'s vector: [own row, n-gram rows...] for a vocabulary
        word, the n-gram rows alone for any other word (possibly none)."""
        i = self.index.get(word)
        if i is not None and self._table_csr is not None:
            offsets, ids = self._table_csr
            return ids[offsets[i]:offsets[i + 1]]
        found = self._ngram_rows(word)
        if i is None:
            return found
        return np.concatenate([np.array([i], np.int32), found])

    def head(self, limit: int | None) -> "SubwordVectors":
        """The first `limit` words with the same n-gram rows (the others become words outside
        the vocabulary, answered from their n-grams)."""
        if limit is None or limit >= len(self):
            return self
        return SubwordVectors(self.words[:limit], self.word_rows[:limit], self.ngram_rows,
                              self.minn, self.maxn,
                              None if self.counts is None else self.counts[:limit], self.bare,
                              None if self.output is None else self.output[:limit], self.args,
                              self.normalize)

    # ------------------------------------------------------------------ vectors
    def _oov_vector(self, word: str) -> np.ndarray | None:
        """Mean of the n-gram rows of a word outside the vocabulary, spelled as the corpus was
        read (`normalize`) when there is such a rule; None when it has no n-gram."""
        if self.normalize is not None:
            word = self.normalize(word) or word
        rows = self._ngram_rows(word)
        if rows.shape[0] == 0:
            return None
        out = np.empty(self.dim, np.float32)
        _mean_rows(*self._blocks(), rows, out)
        if first_non_finite(out[None, :]) is not None:
            raise EmbedError(f"the vector of {word!r} holds NaN or inf (a damaged n-gram row)")
        return out

    def get_vector(self, word, norm: bool = False) -> np.ndarray:
        """float32 [dim] vector of any word, as fastText's ``getWordVector`` (unit length with
        `norm`). A word outside the vocabulary without a single n-gram raises
        `UnknownWordError` (a `KeyError`). A vocabulary word reads only its own rows until
        the composed table exists."""
        row, vec = self.lookup(word)
        if row >= 0:
            if self._vectors is not None:
                return self.normed[row] if norm else self._vectors[row]
            vec = np.empty(self.dim, np.float32)
            _mean_rows(*self._blocks(), self.rows(self.words[row]), vec)
        elif vec is None:
            raise UnknownWordError(self._unknown_message(word))
        return _unit(vec) if norm else vec

    def _unknown_message(self, word) -> str:
        if not isinstance(word, str):
            return super()._unknown_message(word)
        if self.maxn == 0 or self.bucket == 0:
            return (f"{word!r} is not in the vocabulary ({len(self)} words) and this model has "
                    "no character n-grams")
        return (f"{word!r} is not in the vocabulary ({len(self)} words) and has no known n-gram "
                f"(n-grams of {self.minn}..{self.maxn} characters)")

    # ------------------------------------------------------------------ files
    @classmethod
    def from_fasttext(cls, model: fasttext_bin.FastTextModel) -> "SubwordVectors":
        """The words of a read ``.bin`` (labels left out); the rows stay views of its map."""
        n = model.nwords
        out = model.output if model.output is not None and len(model.output) == n else None
        return cls(model.words, model.input[:n], model.input[n:], model.args.minn,
                   model.args.maxn, counts=model.counts, output=out,
                   args=dataclasses.asdict(model.args))

    @classmethod
    def load_fasttext_bin(cls, path, mmap: bool = True) -> "SubwordVectors":
        """Vectors of a fastText ``.bin`` (the input matrix stays memory-mapped by default)."""
        return cls.from_fasttext(fasttext_bin.read_fasttext_bin(path, mmap=mmap))

    @classmethod
    def from_trained(cls, vocab, vectors, ngram_rows, settings: dict, output=None,
                     keep_unk: bool = False, normalize=None) -> "SubwordVectors":
        """A trained subword model's vectors: its vocabulary (UNK, which owns no n-grams, left
        out unless `keep_unk`), word rows, n-gram rows and settings; `normalize` spells a query
        word the way the corpus was read (``Cats`` is taken as ``cats``)."""
        start = 0 if keep_unk or vocab.words[0] != UNK else 1
        args = dict(ws=settings.get("window", 5), epoch=settings.get("epochs", 5),
                    min_count=settings.get("min_count", 1), neg=settings.get("negative", 5),
                    loss=2, model=_MODEL_CODE.get(settings.get("model"), 2),
                    t=settings.get("sample", 1e-4))
        return cls(vocab.words[start:], vectors[start:], ngram_rows, settings["minn"],
                   settings["maxn"], counts=vocab.counts[start:], bare=(ngrams.EOS, UNK),
                   output=None if output is None else output[start:], args=args,
                   normalize=normalize)

    @classmethod
    def from_model_dir(cls, path, keep_unk: bool | None = None) -> "SubwordVectors":
        """Vectors of a subword model directory written by `embed train --subwords`; the word
        rows are read, the n-gram and output rows memory-mapped."""
        path = Path(path)
        files = modeldir.load(path, mmap=True)
        if keep_unk is None:
            keep_unk = bool(files.settings.get("keep_unk", False))
        settings = files.settings
        f = path / modeldir.NGRAMS
        try:
            rows = np.load(f, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError) as e:
            raise EmbedError(f"{f}: missing or damaged ({e})") from None
        want = (int(settings.get("bucket", -1)), files.vectors.shape[1])
        if rows.ndim != 2 or rows.shape != want or rows.dtype != np.float32:
            raise EmbedError(f"{f}: {rows.dtype} {rows.shape}, the settings need float32 {want}")
        vectors = np.ascontiguousarray(files.vectors)
        start = 0 if keep_unk else 1
        refuse_non_finite_rows(path / modeldir.VECTORS, vectors[start:],
                               files.vocab.words[start:], offset=start)
        output = None if files.output is None else np.asarray(files.output)
        from embed.w2v.model import query_normalizer

        return cls.from_trained(files.vocab, vectors, rows, settings, output, keep_unk,
                                normalize=query_normalizer(settings, files.vocab))

    def to_fasttext(self, output: np.ndarray | None = None, **args) -> fasttext_bin.FastTextModel:
        """A `FastTextModel` of these vectors (the two row blocks are written one after the
        other, never joined in memory); `args` sets fastText's header fields over `self.args`
        (dim, minn, maxn and bucket are this object's)."""
        fields = {k: v for k, v in {**self.args, **args}.items()
                  if k in fasttext_bin.FastTextArgs.__dataclass_fields__}
        fields.update(dim=self.dim, minn=self.minn, maxn=self.maxn, bucket=self.bucket)
        counts = self.counts if self.counts is not None else np.ones(len(self), np.int64)
        words, rows = self.words, self.word_rows
        output = self.output if output is None else output
        # fastText gives n-grams to every word but </s>: a word that owns no n-grams here (a
        # trained UNK) would mean another vector there, so it is left out
        drop = [self.index[w] for w in self.bare if w != ngrams.EOS and w in self.index]
        if drop:
            keep = np.setdiff1d(np.arange(len(words)), drop)
            words, rows, counts = [words[i] for i in keep], rows[keep], counts[keep]
            output = None if output is None else np.asarray(output)[keep]
        return fasttext_bin.FastTextModel(args=fasttext_bin.FastTextArgs(**fields),
                                          words=words, counts=counts,
                                          input=(rows, self.ngram_rows), output=output)

    def save_fasttext_bin(self, path, output: np.ndarray | None = None, **args) -> None:
        """Write fastText's ``.bin`` (`embed.subwords.fasttext_bin.write_fasttext_bin`);
        `output` defaults to this object's output rows (zeros when it has none)."""
        fasttext_bin.write_fasttext_bin(path, self.to_fasttext(output, **args))

    def save_vec(self, path) -> None:
        """Write the vocabulary's composed vectors as word2vec text (fastText's ``.vec``)."""
        fasttext_bin.write_vec(Path(path), self.words, self.vectors)
