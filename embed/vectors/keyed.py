"""`KeyedVectors`: words, their vectors, and the nearest-word queries gensim users know.

Row order is frequency order when the source had one. The unit-normalised copy that every cosine
query needs is made once, on first use. Queries follow gensim's semantics (3CosAdd / 3CosMul,
query words left out of the answers) so that numbers can be compared with gensim's directly, and
the most used part of gensim's `KeyedVectors` surface is here under gensim's names.

Two hooks let subclasses answer for more words than have rows, and every query goes through
them (`lookup`): ``normalize`` (a str -> str callable tried on a word not found as given, e.g.
the tokeniser's lowercasing) and `_oov_vector` (a vector for a word with no row, e.g. from its
character n-grams). Words answered by `_oov_vector` have no row, so they are never among the
answers and never need leaving out of them.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from embed import modeldir
from embed.data.vocab import UNK
from embed.errors import EmbedError
from embed.vectors.checks import refuse_non_finite_rows
from embed.vectors.topk import CHUNK, topk_rows


class UnknownWordError(EmbedError, KeyError):
    """A word that is not in the vocabulary. Also a `KeyError`, like gensim's, for callers
    that catch that; the message names close vocabulary words."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class KeyedVectors:
    """Words and their vectors.

    Parameters
    ----------
    words : list of str, length n (unique).
    vectors : array [n, dim], stored as contiguous float32.
    counts : optional int array [n] of corpus counts (kept for gensim export; row order is
        assumed to be most frequent first, which `restrict_vocab` relies on).
    normalize : optional callable str -> str, applied to a query word that is not found as
        given (a model trained on lowercased text finds ``King`` as ``king``). Errors still
        name the word as typed.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray,
                 counts: Sequence[int] | np.ndarray | None = None,
                 normalize: Callable[[str], str] | None = None):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise EmbedError(f"vectors must be a 2-D matrix, got shape {vectors.shape}")
        words = list(words)
        if len(words) != vectors.shape[0]:
            raise EmbedError(f"{len(words)} words but {vectors.shape[0]} vectors")
        self.words = words
        self.index = dict(zip(words, range(len(words))))
        if len(self.index) != len(words):
            raise EmbedError("the word list has duplicates")
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        if self.counts is not None and len(self.counts) != len(words):
            raise EmbedError(f"{len(words)} words but {len(self.counts)} counts")
        self.normalize = normalize
        self._normed = None

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.words)

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words, dim {self.dim})"

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    # gensim's names, for code written against gensim's KeyedVectors
    @property
    def index_to_key(self) -> list[str]:
        return self.words

    @property
    def key_to_index(self) -> dict[str, int]:
        return self.index

    @property
    def vector_size(self) -> int:
        return self.dim

    @property
    def normed(self) -> np.ndarray:
        """[n, dim] float32 rows scaled to unit length (all-zero rows stay zero)."""
        if self._normed is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            self._normed = self.vectors / norms
        return self._normed

    # ------------------------------------------------------------------ finding words
    def _oov_vector(self, word: str) -> np.ndarray | None:
        """Hook for subclasses: a vector [dim] for `word`, which has no row (say, built from its
        character n-grams), or None when there is none. The base class has none."""
        return None

    def _row_or_none(self, word) -> int | None:
        try:
            row = self.index.get(word)
        except TypeError:  # unhashable: not a word
            return None
        if row is None and self.normalize is not None and isinstance(word, str):
            row = self.index.get(self.normalize(word))
        return row

    def lookup(self, word) -> tuple[int, np.ndarray | None]:
        """How every query finds `word`: ``(row, None)`` when it has a row (as given or through
        `normalize`); ``(-1, vector [dim] float32)`` when it has no row but `_oov_vector`
        answers for it; ``(-1, None)`` when neither."""
        row = self._row_or_none(word)
        if row is not None:
            return row, None
        vec = self._oov_vector(word) if isinstance(word, str) else None
        if vec is None:
            return -1, None
        vec = np.asarray(vec, dtype=np.float32)
        if vec.shape != (self.dim,):
            raise ValueError(f"_oov_vector({word!r}) gave shape {vec.shape}, not ({self.dim},)")
        return -1, vec

    def __contains__(self, word) -> bool:
        """True when a vector exists for `word` (a row, or `_oov_vector`'s), as in gensim."""
        row, vec = self.lookup(word)
        return row >= 0 or vec is not None

    def has_index_for(self, word) -> bool:
        """True when `word` has a row (gensim's name)."""
        return self._row_or_none(word) is not None

    def get_index(self, word, default: int | None = None) -> int:
        """Row of `word`; without a row, `default`, or `UnknownWordError` when that is None."""
        row = self._row_or_none(word)
        if row is not None:
            return row
        if default is not None:
            return default
        raise UnknownWordError(self._unknown_message(word))

    row = get_index

    def _unknown_message(self, word) -> str:
        msg = f"{word!r} is not in the vocabulary ({len(self)} words)"
        if not isinstance(word, str):
            return msg
        close = []
        for variant in (word.lower(), word.upper(), word.capitalize()):
            if variant != word and variant in self.index and variant not in close:
                close.append(variant)
        spelled = self.normalize(word) if self.normalize is not None else word
        close += [w for w in difflib.get_close_matches(spelled or word, self.words, n=5,
                                                       cutoff=0.75) if w not in close]
        if close:
            msg += "; close words: " + ", ".join(close[:5])
        return msg

    def get_vector(self, word, norm: bool = False) -> np.ndarray:
        """Vector [dim] of `word` (unit length with `norm`); `UnknownWordError` if none."""
        row, vec = self.lookup(word)
        if row >= 0:
            return self.normed[row] if norm else self.vectors[row]
        if vec is None:
            raise UnknownWordError(self._unknown_message(word))
        return _unit(vec) if norm else vec

    def __getitem__(self, word_or_words):
        """Vector [dim] of one word, or matrix [k, dim] of a list of words."""
        if isinstance(word_or_words, str):
            return self.get_vector(word_or_words)
        return self._matrix(word_or_words, norm=False)[0]

    def unit(self, word: str) -> np.ndarray:
        return self.get_vector(word, norm=True)

    def _matrix(self, words: Iterable[str], norm: bool) -> tuple[np.ndarray, np.ndarray]:
        """(vectors [k, dim] of `words`, unit length if `norm`; their rows [k] int64, -1 for
        a word answered by `_oov_vector`)."""
        words = list(words)
        rows = np.empty(len(words), np.int64)
        extra = {}
        for i, w in enumerate(words):
            rows[i], vec = self.lookup(w)
            if rows[i] < 0:
                if vec is None:
                    raise UnknownWordError(self._unknown_message(w))
                extra[i] = _unit(vec) if norm else vec
        out = (self.normed if norm else self.vectors)[np.maximum(rows, 0)]
        for i, vec in extra.items():
            out[i] = vec
        return out, rows

    # ------------------------------------------------------------------ queries
    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words, in [-1, 1]."""
        return float(np.dot(self.unit(a), self.unit(b)))

    def distance(self, a: str, b: str) -> float:
        """1 - cosine similarity (gensim's `distance`)."""
        return 1.0 - self.similarity(a, b)

    def n_similarity(self, ws1: Sequence[str], ws2: Sequence[str]) -> float:
        """Cosine between the means of the (raw) vectors of two word lists, as gensim's."""
        if not len(ws1) or not len(ws2):
            raise EmbedError("n_similarity needs at least one word in each list")
        m1 = self._matrix(ws1, norm=False)[0].mean(axis=0)
        m2 = self._matrix(ws2, norm=False)[0].mean(axis=0)
        return float(np.dot(_unit(m1), _unit(m2)))

    def _terms(self, positive, negative):
        """(vectors [k, dim], weights [k], given [k] bool, rows to leave out) for a query: the
        unit vectors of the words; vectors passed in as they are (`given` marks them)."""
        positive = _as_list(positive)
        negative = _as_list(negative)
        if not positive and not negative:
            raise EmbedError("a query needs at least one word")
        vecs, weights, given, rows = [], [], [], []
        for items, sign in ((positive, 1.0), (negative, -1.0)):
            for item in items:
                weight = sign
                if isinstance(item, tuple):
                    item, weight = item
                if isinstance(item, str):
                    v, r = self._matrix([item], norm=True)
                    vecs.append(v[0])
                    rows += [int(r[0])] if r[0] >= 0 else []
                else:
                    v = np.asarray(item, dtype=np.float32).reshape(-1)
                    if v.shape[0] != self.dim:
                        raise EmbedError(f"query vector has {v.shape[0]} values, not {self.dim}")
                    vecs.append(v)
                given.append(not isinstance(item, str))
                weights.append(float(weight))
        return np.stack(vecs), np.asarray(weights), np.asarray(given), rows

    def most_similar(self, positive=None, negative=None, topn: int | None = 10,
                     restrict_vocab: int | None = None):
        """3CosAdd: words nearest by cosine to the weighted mean of the unit vectors of
        `positive` minus those of `negative` (gensim's `most_similar`).

        A single word or vector may be passed instead of a list; items may be
        ``(word, weight)`` pairs; a vector enters the mean as it is (as in gensim). Returns
        ``[(word, cosine), ...]`` best first, query words left out; with ``topn=None`` the
        cosines of all words ``[n]`` (query words included). Only the first `restrict_vocab`
        rows are searched when it is given.
        """
        vecs, weights, _, rows = self._terms(positive, negative)
        mean = (weights[:, None] * vecs).sum(axis=0) / np.abs(weights).sum()
        scores = self.normed[:restrict_vocab] @ _unit(mean)
        if topn is None:
            return scores
        return self._best(scores, topn, rows)

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None):
        """3CosMul (Levy & Goldberg 2014, eq. 4, cosines shifted to [0, 1]):
        prod(positive sims) / (prod(negative sims) + 1e-6), as gensim computes it. A vector
        passed in counts by its direction (gensim uses it unscaled, which is not a cosine)."""
        vecs, weights, given, rows = self._terms(positive, negative)
        vecs[given] /= np.maximum(np.linalg.norm(vecs[given], axis=1, keepdims=True), 1e-30)
        sims = (1.0 + self.normed[:restrict_vocab] @ vecs.T) / 2.0  # [n, k]
        pos, neg = sims[:, weights > 0], sims[:, weights < 0]
        scores = pos.prod(axis=1) / (neg.prod(axis=1) + 1e-6)
        if topn is None:
            return scores
        return self._best(scores, topn, rows)

    def similar_by_word(self, word: str, topn: int | None = 10,
                        restrict_vocab: int | None = None):
        """gensim's name for ``most_similar(word)``."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_vector(self, vector: np.ndarray, topn: int | None = 10,
                          restrict_vocab: int | None = None):
        """Words nearest by cosine to `vector` [dim], none left out (gensim's name)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def nearest(self, vector: np.ndarray, topn: int = 10, exclude: Iterable[str] = ()):
        """Words nearest by cosine to `vector` [dim] -> ``[(word, cosine), ...]``, leaving out
        `exclude`; a matrix [k, dim] gives one such list per row (one matrix product)."""
        vector = np.asarray(vector, dtype=np.float32)
        if vector.ndim not in (1, 2) or vector.shape[-1] != self.dim:
            raise EmbedError(f"query vectors must have {self.dim} values, got shape {vector.shape}")
        skip = [int(r) for r in self._matrix(exclude, norm=False)[1] if r >= 0]
        if vector.ndim == 2:
            q = vector / np.maximum(np.linalg.norm(vector, axis=1, keepdims=True), 1e-30)
            return self._batch(q, np.tile(np.asarray(skip or [-1], np.int64), (len(q), 1)), topn)
        return self._best(self.normed @ _unit(vector), topn, skip)

    def most_similar_batch(self, words: Sequence[str], topn: int = 10,
                           restrict_vocab: int | None = None):
        """`most_similar(word)` for many words at once -> one list per word.

        One matrix product per chunk of CHUNK queries and a numba top-`topn` selection over its
        rows (`topk_rows`), instead of a Python loop of matrix-vector products and sorts.
        """
        queries, rows = self._matrix(words, norm=True)
        return self._batch(queries, rows, topn, restrict_vocab)

    def _batch(self, queries: np.ndarray, rows, topn: int, restrict_vocab: int | None = None):
        matrix = self.normed[:restrict_vocab]
        k = max(0, min(topn, matrix.shape[0]))
        if k == 0:
            return [[] for _ in range(len(queries))]
        # rows: one row to leave out per query [q] (-1: none), or several [q, m]
        exclude = np.asarray(rows, np.int64).reshape(len(queries), -1)
        out = []
        words = self.words
        for start in range(0, len(queries), CHUNK):
            scores = queries[start:start + CHUNK] @ matrix.T  # [c, n], one BLAS call
            top, sims = topk_rows(scores, k, exclude[start:start + CHUNK])
            for ids, vals in zip(top.tolist(), sims.tolist()):
                out.append([(words[i], v) for i, v in zip(ids, vals) if i >= 0])
        return out

    def _best(self, scores: np.ndarray, topn: int, exclude_rows) -> list[tuple[str, float]]:
        """Top `topn` of `scores` [n], leaving out `exclude_rows`, best first."""
        if topn < 1:
            return []
        exclude = np.asarray([r for r in exclude_rows if r < len(scores)] or [-1], np.int64)
        scores = np.ascontiguousarray(scores, dtype=np.float32)
        top, _ = topk_rows(scores[None, :], min(topn, len(scores)), exclude[None, :])
        return [(self.words[i], float(scores[i])) for i in top[0].tolist() if i >= 0]

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest (by cosine) from the mean of the words' unit vectors."""
        if not words:
            raise EmbedError("doesnt_match needs at least one word")
        vecs = self._matrix(words, norm=True)[0]
        return list(words)[int(np.argmin(vecs @ _unit(vecs.mean(axis=0))))]

    # ------------------------------------------------------------------ files
    @classmethod
    def from_model_dir(cls, path, keep_unk: bool | None = None) -> "KeyedVectors":
        """Vectors of a model directory written by `embed train` (`embed.modeldir`).

        The UNK row (id 0) is dropped unless `keep_unk` (default: the model's
        ``settings["keep_unk"]``) is true: it is an average of rare words, not a word.
        """
        files = modeldir.load(path)
        if keep_unk is None:
            keep_unk = bool(files.settings.get("keep_unk", False))
        start = 0 if keep_unk or files.vocab.words[0] != UNK else 1
        words, vectors = files.vocab.words[start:], np.asarray(files.vectors[start:])
        refuse_non_finite_rows(Path(path) / modeldir.VECTORS, vectors, words, offset=start)
        from embed.w2v.model import query_normalizer

        return cls(words, vectors, counts=files.vocab.counts[start:],
                   normalize=query_normalizer(files.settings, files.vocab))

    def to_gensim(self):
        """A real `gensim.models.KeyedVectors` with the same words and vectors (a copy)."""
        from embed.vectors.gensim_format import to_gensim

        return to_gensim(self)

    def save_word2vec(self, path, binary: bool = False, limit: int | None = None) -> None:
        """word2vec text or binary (`embed.vectors.word2vec_format.write_word2vec`)."""
        from embed.vectors.word2vec_format import write_word2vec

        write_word2vec(self, path, binary=binary, limit=limit)

    def save_gensim(self, path) -> None:
        """One pickle that ``gensim.models.KeyedVectors.load`` reads (counts as ``count``)."""
        from embed.vectors.gensim_format import save_gensim

        save_gensim(self, path)

    def save_npy(self, path) -> None:
        """``PATH`` (.npy, float32 [n, dim]) and its ``.vocab.tsv`` (``word<TAB>count``)."""
        from embed.vectors.npy_format import save_npy

        save_npy(self, path)


def _unit(v: np.ndarray) -> np.ndarray:
    """`v` [dim] scaled to unit length (all zeros stays zeros), float32."""
    return (v / (np.linalg.norm(v) or 1.0)).astype(np.float32, copy=False)


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, tuple)):
        return [value]
    if isinstance(value, np.ndarray):
        return [value] if value.ndim == 1 else list(value)
    return list(value)
