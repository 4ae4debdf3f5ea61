"""Trained word vectors: nearest-word queries, analogies, and the files they travel in.

`KeyedVectors` holds the words (row order = frequency order when the source had one) and a
float32 matrix ``[n_words, dim]``. The unit-normalised copy that every cosine query needs is made
once, on first use. Queries follow gensim's semantics (3CosAdd / 3CosMul, query words left out of
the answers) so that numbers can be compared with gensim's directly.

Files: `load_vectors` reads a model directory (`embed.modeldir`), a word2vec text or binary file
(the format is detected), a gensim native ``KeyedVectors`` file, or ``.npy`` + ``.vocab.tsv``.
The `save_*` methods write the same formats, always through `embed.atomic`.
"""
from __future__ import annotations

import difflib
import mmap
import os
import warnings
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from numba import njit, prange

from embed import modeldir
from embed.atomic import atomic_path
from embed.data.vocab import UNK
from embed.errors import EmbedError

# Rows of the similarity matrix computed at once by the batched queries: bounds the scratch
# memory to CHUNK x n_words float32 (256 x 50,000 = 51 MB) whatever the number of queries.
CHUNK = 256


# Exact comparisons (no fastmath): the selection must rank exactly as a sort would.
@njit(cache=True, nogil=True)
def _select_row(row, k, exclude, best_i, best_v):
    """Fill best_i / best_v [k] with the best `k` entries of `row` [n] not in `exclude` [m],
    best first. One pass keeping a sorted buffer: most entries fail the first comparison
    against the buffer's worst, so this runs at about memory speed. Ties keep the lower index."""
    filled = 0
    for j in range(row.shape[0]):
        v = row[j]
        if filled == k and not v > best_v[k - 1]:
            continue
        skip = v != v  # NaN
        for e in range(exclude.shape[0]):
            if exclude[e] == j:
                skip = True
        if skip:
            continue
        pos = filled if filled < k else k - 1
        while pos > 0 and v > best_v[pos - 1]:
            best_v[pos] = best_v[pos - 1]
            best_i[pos] = best_i[pos - 1]
            pos -= 1
        best_v[pos] = v
        best_i[pos] = j
        if filled < k:
            filled += 1


@njit(cache=True, nogil=True, parallel=True)
def _topk_parallel(scores, k, exclude, ids, vals):
    for r in prange(scores.shape[0]):
        _select_row(scores[r], k, exclude[r], ids[r], vals[r])


@njit(cache=True, nogil=True)
def _topk_serial(scores, k, exclude, ids, vals):
    for r in range(scores.shape[0]):
        _select_row(scores[r], k, exclude[r], ids[r], vals[r])


def topk_rows(scores: np.ndarray, k: int, exclude: np.ndarray):
    """Best `k` columns of each row of `scores` [q, n] float32, best first, skipping the
    columns listed in that row of `exclude` [q, m] (int64, -1 = none).

    Returns (ids int64 [q, k], values float32 [q, k]); a row with fewer than k candidates is
    padded with id -1. Several times faster than numpy's argpartition; rows run in parallel
    when there are enough of them to pay for waking the threads.
    """
    scores = np.ascontiguousarray(scores, dtype=np.float32)
    exclude = np.ascontiguousarray(exclude, dtype=np.int64)
    q = scores.shape[0]
    ids = np.full((q, k), -1, dtype=np.int64)
    vals = np.full((q, k), -np.inf, dtype=np.float32)
    if k > 0:
        (_topk_parallel if q >= 16 else _topk_serial)(scores, k, exclude, ids, vals)
    return ids, vals


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
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray,
                 counts: Sequence[int] | np.ndarray | None = None):
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
        self._normed = None

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

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

    def row(self, word: str) -> int:
        """Row of `word`; an unknown word raises `UnknownWordError` naming close words."""
        try:
            return self.index[word]
        except (KeyError, TypeError):
            raise UnknownWordError(self._unknown_message(word)) from None

    def _unknown_message(self, word) -> str:
        msg = f"{word!r} is not in the vocabulary ({len(self)} words)"
        if not isinstance(word, str):
            return msg
        close = []
        for variant in (word.lower(), word.upper(), word.capitalize()):
            if variant != word and variant in self.index and variant not in close:
                close.append(variant)
        close += [w for w in difflib.get_close_matches(word, self.words, n=5, cutoff=0.75)
                  if w not in close]
        if close:
            msg += "; close words: " + ", ".join(close[:5])
        return msg

    def __getitem__(self, word_or_words):
        """Vector [dim] of one word, or matrix [k, dim] of a list of words."""
        if isinstance(word_or_words, str):
            return self.vectors[self.row(word_or_words)]
        return self.vectors[[self.row(w) for w in word_or_words]]

    def unit(self, word: str) -> np.ndarray:
        return self.normed[self.row(word)]

    # ------------------------------------------------------------------ queries
    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words, in [-1, 1]."""
        return float(np.dot(self.unit(a), self.unit(b)))

    def _terms(self, positive, negative):
        """(unit vectors [k, dim], weights [k], rows of the query words) for a query."""
        positive = _as_list(positive)
        negative = _as_list(negative)
        if not positive and not negative:
            raise EmbedError("a query needs at least one word")
        vecs, weights, rows = [], [], []
        for items, sign in ((positive, 1.0), (negative, -1.0)):
            for item in items:
                weight = sign
                if isinstance(item, tuple):
                    item, weight = item
                if isinstance(item, str):
                    r = self.row(item)
                    rows.append(r)
                    vecs.append(self.normed[r])
                else:
                    v = np.asarray(item, dtype=np.float32).reshape(-1)
                    if v.shape[0] != self.dim:
                        raise EmbedError(f"query vector has {v.shape[0]} values, not {self.dim}")
                    vecs.append(v / (np.linalg.norm(v) or 1.0))
                weights.append(float(weight))
        return np.stack(vecs), np.asarray(weights), rows

    def most_similar(self, positive=None, negative=None, topn: int | None = 10,
                     restrict_vocab: int | None = None):
        """3CosAdd: words nearest by cosine to the mean of the unit vectors of `positive`
        minus those of `negative` (gensim's `most_similar`).

        A single word or vector may be passed instead of a list; items may be
        ``(word, weight)`` pairs. Returns ``[(word, cosine), ...]`` best first, query words
        left out; with ``topn=None`` the cosines of all words ``[n]`` (query words included).
        Only the first `restrict_vocab` rows are searched when it is given.
        """
        vecs, weights, rows = self._terms(positive, negative)
        mean = (weights[:, None] * vecs).sum(axis=0) / np.abs(weights).sum()
        mean = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
        scores = self.normed[:restrict_vocab] @ mean
        if topn is None:
            return scores
        return self._best(scores, topn, rows)

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None):
        """3CosMul (Levy & Goldberg 2014, eq. 4, cosines shifted to [0, 1]):
        prod(positive sims) / (prod(negative sims) + 1e-6), as gensim computes it."""
        vecs, weights, rows = self._terms(positive, negative)
        sims = (1.0 + self.normed[:restrict_vocab] @ vecs.T) / 2.0  # [n, k]
        pos, neg = sims[:, weights > 0], sims[:, weights < 0]
        scores = pos.prod(axis=1) / (neg.prod(axis=1) + 1e-6)
        if topn is None:
            return scores
        return self._best(scores, topn, rows)

    def nearest(self, vector: np.ndarray, topn: int = 10, exclude: Iterable[str] = ()):
        """Words nearest by cosine to `vector` [dim] -> ``[(word, cosine), ...]``, leaving out
        `exclude`; a matrix [k, dim] gives one such list per row (one matrix product)."""
        vector = np.asarray(vector, dtype=np.float32)
        if vector.ndim not in (1, 2) or vector.shape[-1] != self.dim:
            raise EmbedError(f"query vectors must have {self.dim} values, got shape {vector.shape}")
        skip = [self.row(w) for w in exclude]
        if vector.ndim == 2:
            q = vector / np.maximum(np.linalg.norm(vector, axis=1, keepdims=True), 1e-30)
            return self._batch(q, np.tile(np.asarray(skip or [-1], np.int64), (len(q), 1)), topn)
        scores = self.normed @ (vector / (np.linalg.norm(vector) or 1.0))
        return self._best(scores, topn, skip)

    def most_similar_batch(self, words: Sequence[str], topn: int = 10,
                           restrict_vocab: int | None = None):
        """`most_similar(word)` for many words at once -> one list per word.

        One matrix product per chunk of CHUNK queries and a numba top-`topn` selection over its
        rows (`topk_rows`), instead of a Python loop of matrix-vector products and sorts.
        """
        rows = np.asarray([self.row(w) for w in words], dtype=np.int64)
        return self._batch(self.normed[rows], rows, topn, restrict_vocab)

    def _batch(self, queries: np.ndarray, rows, topn: int, restrict_vocab: int | None = None):
        matrix = self.normed[:restrict_vocab]
        k = max(0, min(topn, matrix.shape[0]))
        if k == 0:
            return [[] for _ in range(len(queries))]
        # rows: one row to leave out per query [q], several [q, m], or None
        exclude = (np.full((len(queries), 1), -1, np.int64) if rows is None
                   else np.asarray(rows, np.int64).reshape(len(queries), -1))
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
        vecs = self.normed[[self.row(w) for w in words]]
        mean = vecs.mean(axis=0)
        mean /= np.linalg.norm(mean) or 1.0
        return list(words)[int(np.argmin(vecs @ mean))]

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
        return cls(files.vocab.words[start:], np.asarray(files.vectors[start:]),
                   counts=files.vocab.counts[start:])

    def _check_words_for_word2vec(self):
        for w in self.words:
            if not w or any(c.isspace() for c in w):
                raise EmbedError(f"word {w!r} cannot be written in word2vec format "
                                 "(empty or containing whitespace)")

    def save_word2vec(self, path, binary: bool = False, limit: int | None = None) -> None:
        """Write the original C tool's format: a ``"n dim"`` header line, then per word
        ``word v1 v2 ...`` (text, shortest float32 repr, as gensim writes it) or ``word `` and
        dim little-endian float32 followed by a newline (binary, as word2vec.c writes it).
        Readable by gensim's `load_word2vec_format` and by word2vec.c's `distance`."""
        self._check_words_for_word2vec()
        n = len(self) if limit is None else min(limit, len(self))
        vectors = self.vectors[:n]
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            f.write(f"{n} {self.dim}\n".encode())
            step = 4096
            for start in range(0, n, step):
                block = vectors[start:start + step]
                words = self.words[start:start + step]
                if binary:
                    raw = block.astype("<f4").tobytes()
                    size = 4 * self.dim
                    f.write(b"".join(w.encode("utf-8") + b" " + raw[i * size:(i + 1) * size]
                                     + b"\n" for i, w in enumerate(words)))
                else:
                    text = block.astype(str)  # shortest repr that reads back to the same float32
                    f.write("".join(w + " " + " ".join(r) + "\n"
                                    for w, r in zip(words, text.tolist())).encode("utf-8"))

    def save_gensim(self, path) -> None:
        """Write a gensim `KeyedVectors` file (one pickle, loadable by
        ``gensim.models.KeyedVectors.load``); counts are kept as gensim's ``count`` attribute."""
        from gensim.models import KeyedVectors as GensimKV

        kv = GensimKV(self.dim, count=len(self), dtype=np.float32)
        kv.index_to_key = list(self.words)
        kv.key_to_index = dict(self.index)
        kv.vectors = self.vectors.copy()
        kv.next_index = len(self)
        counts = self.counts if self.counts is not None else np.arange(len(self), 0, -1)
        kv.expandos["count"] = np.asarray(counts, dtype=np.int64)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            kv.save(f)  # a file handle keeps everything in one pickle (no side .npy files)

    def save_npy(self, path) -> None:
        """Write ``PATH`` (.npy, float32 [n, dim]) and ``PATH`` with suffix ``.vocab.tsv``
        (``word<TAB>count`` per row, count 0 when unknown)."""
        from embed.atomic import save_npy

        path = Path(path)
        save_npy(path, self.vectors)
        counts = self.counts if self.counts is not None else np.zeros(len(self), np.int64)
        with atomic_path(npy_vocab_path(path)) as tmp:
            tmp.write_text("".join(f"{w}\t{int(c)}\n" for w, c in zip(self.words, counts)),
                           encoding="utf-8")


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, tuple)):
        return [value]
    if isinstance(value, np.ndarray):
        return [value] if value.ndim == 1 else list(value)
    return list(value)


def npy_vocab_path(path) -> Path:
    path = Path(path)
    return path.with_name(path.name[:-4] + ".vocab.tsv" if path.name.endswith(".npy")
                          else path.name + ".vocab.tsv")


# ---------------------------------------------------------------------- readers
def load_vectors(path, limit: int | None = None) -> KeyedVectors:
    """Read vectors from any supported place; `limit` keeps only the first `limit` words.

    - a model directory (`embed.modeldir`): UNK dropped unless ``settings["keep_unk"]``;
    - a word2vec text or binary file (told apart by their content; a text file may lack
      the ``n dim`` header, as GloVe's do);
    - a gensim native file (``KeyedVectors.save`` or a whole ``Word2Vec.save``);
    - ``X.npy`` with its ``X.vocab.tsv``.
    """
    if limit is not None and limit < 1:
        raise EmbedError(f"--limit must be at least 1, got {limit}")
    path = Path(path)
    if not path.exists():
        raise EmbedError(f"vectors not found: {path}")
    if path.is_dir() or (path.name == modeldir.VECTORS and modeldir.is_model_dir(path.parent)):
        kv = KeyedVectors.from_model_dir(path if path.is_dir() else path.parent)
    else:
        with open(path, "rb") as f:
            head = f.read(16)
        if head.startswith(b"\x93NUMPY"):
            kv = _load_npy(path)
        elif head[:1] == b"\x80":  # pickle protocol >= 2: gensim's native save
            kv = _load_gensim(path)
        else:
            return read_word2vec(path, limit=limit)
    if limit is not None and limit < len(kv):
        kv = KeyedVectors(kv.words[:limit], kv.vectors[:limit],
                          None if kv.counts is None else kv.counts[:limit])
    return kv


def _load_npy(path: Path) -> KeyedVectors:
    vocab = npy_vocab_path(path)
    if not vocab.is_file():
        raise EmbedError(f"{path}: no word list beside it (expected {vocab.name})")
    try:
        vectors = np.load(path)
    except (ValueError, OSError, EOFError) as e:
        raise EmbedError(f"{path}: damaged .npy file ({e})") from None
    words, counts = [], []
    for lineno, line in enumerate(vocab.read_text(encoding="utf-8").splitlines(), 1):
        if not line:
            continue
        word, _, count = line.partition("\t")
        words.append(word)
        counts.append(int(count) if count.isdigit() else 0)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise EmbedError(f"{path}: shape {vectors.shape} does not match the {len(words)} words "
                         f"in {vocab.name}")
    return KeyedVectors(words, vectors, counts)


def _load_gensim(path: Path) -> KeyedVectors:
    from gensim.utils import SaveLoad

    try:
        obj = SaveLoad.load(str(path))
    except Exception as e:  # unpickling errors come in many types
        raise EmbedError(f"{path}: not a readable gensim file ({type(e).__name__}: {e})") from None
    kv = getattr(obj, "wv", obj)
    if not hasattr(kv, "index_to_key") or not hasattr(kv, "vectors"):
        raise EmbedError(f"{path}: a gensim {type(obj).__name__}, not word vectors")
    counts = None
    if "count" in getattr(kv, "expandos", {}):
        counts = np.asarray(kv.expandos["count"], dtype=np.int64)
    return KeyedVectors([str(w) for w in kv.index_to_key], kv.vectors, counts)


def _parse_header(line: bytes):
    parts = line.split()
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        return int(parts[0]), int(parts[1])
    return None


def read_word2vec(path, limit: int | None = None, binary: bool | None = None) -> KeyedVectors:
    """Read a word2vec text or binary file (`binary=None`: detect from the content).

    Duplicate words keep their first vector, as gensim does. A file shorter than its header
    says, or with a line of the wrong length, raises `EmbedError`.
    """
    path = Path(path)
    data = _map(path)
    nl = data.find(b"\n")
    header = _parse_header(data[:nl if nl >= 0 else len(data)])
    if header is None:
        if binary:
            raise EmbedError(f"{path}: no 'count dim' header line; not a word2vec binary file")
        return _read_text(path, _text_prefix(data, 0, limit), 0, None, None, limit)
    n, dim = header
    if dim < 1:
        raise EmbedError(f"{path}: header says {dim} dimensions")
    if limit is not None:
        n = min(n, limit)
    body = nl + 1
    if binary is None:
        binary = not _looks_like_text(data, body, dim)
        if binary:
            _refuse_text_of_another_dim(path, data, body, dim)
    if binary:
        return _read_binary(path, data, body, n, dim)
    return _read_text(path, _text_prefix(data, body, n if limit is not None else None),
                      body, n, dim, limit)


def _map(path: Path):
    """The file's bytes, memory-mapped: only the pages a reader touches are read, so
    ``--limit 10000`` on a multi-gigabyte published file reads its first records only."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _text_prefix(data, start: int, lines: int | None) -> bytes:
    """`data` up to the end of the `lines`-th line after `start` (all of it when None)."""
    if lines is None:
        return data[:]
    end = start
    for _ in range(lines):
        nl = data.find(b"\n", end)
        if nl < 0:
            return data[:]
        end = nl + 1
    return data[:end]


def _looks_like_text(data: bytes, start: int, dim: int) -> bool:
    """True if the first record after the header is ``word`` and `dim` decimal numbers."""
    end = data.find(b"\n", start)
    line = data[start:end if end >= 0 else len(data)]
    parts = line.split(b" ")
    if len(parts) < dim + 1:
        return False
    try:
        [float(p) for p in parts[1:] if p]
    except ValueError:
        return False
    return len([p for p in parts[1:] if p]) == dim


def _refuse_text_of_another_dim(path: Path, data, start: int, dim: int) -> None:
    """A text file whose first record has a number count other than the header's would be
    misread as binary; say what is wrong instead."""
    end = data.find(b"\n", start)
    parts = bytes(data[start:end if end >= 0 else start + 65536]).split()
    try:
        numbers = [float(p) for p in parts[1:]]
    except ValueError:
        return
    if len(parts) > 1 and len(numbers) != dim:
        raise EmbedError(f"{path}:2: {len(numbers)} numbers after the word, but the header "
                         f"says {dim} dimensions")


@njit(cache=True, nogil=True)
def _scan_binary(buf, pos, n, size, words, out):
    """Walk `n` word2vec binary records ``word<space><size bytes>`` in `buf` (uint8) from
    `pos`: the words go into `words` (uint8, each followed by a newline, so one decode and
    one split make the list), the vector bytes into out [n, size]. Newlines before a word
    are skipped (word2vec.c writes one after each vector; gensim does not).
    Returns (records read, bytes used, the word buffer, regrown if words were long);
    records < n when the data ends early."""
    total = buf.shape[0]
    w = 0
    for i in range(n):
        while pos < total and (buf[pos] == 10 or buf[pos] == 13):
            pos += 1
        start = pos
        while pos < total and buf[pos] != 32:
            pos += 1
        if pos + 1 + size > total:
            return i, w, words
        length = pos - start
        if w + length + 1 > words.shape[0]:  # grow the word buffer (rare: long words)
            bigger = np.empty(2 * (w + length + 1), np.uint8)
            bigger[:w] = words[:w]
            words = bigger
        words[w:w + length] = buf[start:pos]
        words[w + length] = 10
        w += length + 1
        pos += 1
        out[i, :] = buf[pos:pos + size]
        pos += size
    return n, w, words


def _read_binary(path: Path, data: bytes, pos: int, n: int, dim: int) -> KeyedVectors:
    size = 4 * dim
    raw = np.empty((n, size), np.uint8)
    buf = np.frombuffer(data, np.uint8)
    words = np.empty(max(16, min(len(data), 16 * n)), np.uint8)
    done, used, words = _scan_binary(buf, pos, n, size, words, raw)
    if done < n:
        raise EmbedError(f"{path}: ends after {done} of {n} vectors; truncated or damaged "
                         "word2vec binary file")
    vectors = raw.view("<f4").astype(np.float32, copy=False)
    words = words[:used - 1].tobytes().decode("utf-8", errors="replace").split("\n") if n else []
    if not np.isfinite(vectors).all():
        raise EmbedError(f"{path}: vectors contain NaN or infinity; damaged file?")
    return _dedupe(words, vectors)


def _read_text(path: Path, data: bytes, pos: int, n: int | None, dim: int | None,
               limit: int | None) -> KeyedVectors:
    try:
        text = data[pos:].decode("utf-8")
    except UnicodeDecodeError:
        text = data[pos:].decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if n is None:  # no header (GloVe style): every line is a word
        n = len(lines) if limit is None else min(limit, len(lines))
        if n == 0:
            raise EmbedError(f"{path}: empty vectors file")
    if len(lines) < n:
        raise EmbedError(f"{path}: header promises {n} vectors but the file has {len(lines)}; "
                         "truncated?")
    words, rests = [], []
    for line in lines[:n]:
        word, _, rest = line.rstrip("\r ").partition(" ")
        words.append(word)
        rests.append(rest)
    if dim is None:
        dim = len(rests[0].split())
        if dim == 0 or not _numbers_ok(rests[0], dim):
            raise EmbedError(f"{path}: not a vectors file (no 'count dim' header line, and "
                             "line 1 is not a word followed by numbers)")
    # one C-level parse of all numbers; the per-line count check catches lines that are
    # short or long even when the total happens to match
    counts_ok = all(r.count(" ") == dim - 1 for r in rests) or \
        all(len(r.split()) == dim for r in rests)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns when it stops early at a bad number
        try:
            values = np.fromstring(" ".join(rests), dtype=np.float32, sep=" ")
        except ValueError:  # newer numpy raises where older ones warned
            values = None
    if not counts_ok or values is None or values.size != n * dim:
        bad = next((i for i, r in enumerate(rests) if not _numbers_ok(r, dim)), None)
        line_no = bad + (2 if pos else 1) if bad is not None else "?"
        raise EmbedError(f"{path}:{line_no}: expected a word and {dim} numbers; "
                         "damaged or not a word2vec text file")
    values = values.reshape(n, dim)
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():  # as for binary files: a NaN row would silently answer nothing
        line_no = int(np.argmin(finite)) + (2 if pos else 1)
        raise EmbedError(f"{path}:{line_no}: vector contains NaN or infinity; damaged file?")
    return _dedupe(words, values)


def _numbers_ok(rest: str, dim: int) -> bool:
    parts = rest.split()
    try:
        [float(x) for x in parts]
    except ValueError:
        return False
    return len(parts) == dim


def _dedupe(words: list[str], vectors: np.ndarray) -> KeyedVectors:
    """KeyedVectors of the words, keeping the first vector of a repeated word (as gensim)."""
    if len(set(words)) == len(words):
        return KeyedVectors(words, vectors)
    seen = {}
    for i, w in enumerate(words):
        seen.setdefault(w, i)
    keep = np.fromiter(seen.values(), dtype=np.int64)
    keep.sort()
    return KeyedVectors([words[i] for i in keep.tolist()], vectors[keep])
