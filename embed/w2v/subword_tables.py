"""The tables of a subword (fastText) model: their start, their checks and their memory.

Layout: ``model.vectors`` float32 [V, dim] the vocabulary words' own rows (embed ids, UNK at
0), ``model.arrays["ngrams"]`` float32 [bucket, dim] the character n-gram rows, ``model.output``
float32 [V, dim]. Both input blocks start uniform in +-1/dim and the output at zero, as in
fastText and gensim. A fastText ``.bin`` is these blocks written one after the other (UNK left
out), never joined in memory.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numba import njit, prange

from embed.errors import EmbedError
from embed.subwords.memory import check_model_memory
from embed.w2v.sampling import uniform, xorshift
from embed.w2v.subword_rows import NGRAMS

# rows initialised per step: bounded temporary memory for the 2,000,000-row n-gram table
_INIT_ROWS = 1 << 16


def ngram_counts(words, minn: int, maxn: int) -> int:
    """How many n-gram entries the vocabulary's subword table will hold (for the memory
    estimate, before building it): a word of L characters has L + 2 with its markers."""
    s = np.fromiter((len(w) + 2 for w in words), np.int64, len(words))
    total = np.zeros_like(s)
    for n in range(max(minn, 1), maxn + 1):
        total += np.maximum(0, s - n + 1) - (2 if n == 1 else 0)
    return int(total.sum())


def memory_line(vocab, st, available: int | None = None) -> str:
    """``model memory: ...`` for a subword run on ``vocab``; EmbedError (one line) when the
    tables cannot fit in the memory this machine has."""
    V = len(vocab)
    table = int(min(10_000_000, max(100_000, 200 * V)))   # sampling.negative_table's size
    return check_model_memory(V, st.bucket, st.dim, output_rows=V,
                              subword_ids=ngram_counts(vocab.words, st.minn, st.maxn),
                              extra_bytes=4 * table, available=available)


@njit(cache=True, nogil=True, parallel=True)
def _fill_uniform(out, seed, low, width):
    """out[i, j] uniform in [low, low + width): each block of _INIT_ROWS rows has its own
    xorshift stream seeded from (seed, block), so the values do not depend on the threads."""
    rows = out.shape[0]
    blocks = (rows + _INIT_ROWS - 1) // _INIT_ROWS
    for b in prange(blocks):
        state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(b + 1) * np.uint64(
            0xBF58476D1CE4E5B9)
        state = xorshift(xorshift(state | np.uint64(1)))
        for i in range(b * _INIT_ROWS, min(rows, (b + 1) * _INIT_ROWS)):
            for j in range(out.shape[1]):
                state = xorshift(state)
                out[i, j] = low + width * uniform(state)


def uniform_rows(rows: int, dim: int, seed: int) -> np.ndarray:
    """float32 [rows, dim] uniform in [-1/dim, 1/dim) (fastText's and gensim's start), filled
    by all cores: the 2,000,000-row n-gram table in a fraction of a second."""
    out = np.empty((rows, dim), np.float32)
    _fill_uniform(out, np.uint64(seed), np.float32(-1.0 / dim), np.float32(2.0 / dim))
    return out


def fresh_tables(vocab, st) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, ngrams, output) to start a subword model on ``vocab``; refuses first, in one
    line, tables that cannot fit in memory."""
    memory_line(vocab, st)
    vectors = uniform_rows(len(vocab), st.dim, 2 * st.seed)
    ngrams = uniform_rows(st.bucket, st.dim, 2 * st.seed + 1)
    return vectors, ngrams, np.zeros_like(vectors)


def check_ngram_table(model, st, where) -> None:
    """The n-gram table of a resumed subword model fits its settings (a kernel given a short
    table would write out of bounds)."""
    ngrams = model.arrays.get(NGRAMS)
    name = f"{NGRAMS}.npy"
    if ngrams is None:
        raise EmbedError(f"{where}: the subword model has no {name}; it cannot be resumed")
    want = (st.bucket, st.dim)
    if ngrams.shape != want or ngrams.dtype != np.float32:
        raise EmbedError(f"{where}: {name} is {ngrams.dtype} {ngrams.shape}; the settings "
                         f"(bucket {st.bucket:,}, dim {st.dim}) need float32 {want}")
    model.arrays[NGRAMS] = ngrams = np.ascontiguousarray(ngrams)
    if not ngrams.flags.writeable:
        model.arrays[NGRAMS] = ngrams = ngrams.copy()
    for s in range(0, len(ngrams), _INIT_ROWS):   # bounded temporaries
        bad = ~np.isfinite(ngrams[s:s + _INIT_ROWS]).all(axis=1)
        if bad.any():
            raise EmbedError(f"{os.path.join(str(where), name)}: row {s + int(np.argmax(bad))} "
                             "holds NaN or inf")


def check_resume_memory(path) -> str | None:
    """Before a subword model directory is read for --resume: its memory line, or one
    EmbedError line when it cannot fit (None for a word model or unreadable settings, which
    the loader reports itself)."""
    import json

    from embed.data.vocab import Vocabulary
    from embed.w2v.settings import TrainSettings

    try:
        saved = json.loads((Path(path) / "settings.json").read_text(encoding="utf-8"))
        st = TrainSettings.from_dict(saved, str(path))
        if not st.subwords:
            return None
        vocab = Vocabulary.load(Path(path) / "vocab.tsv")
    except (OSError, ValueError, EmbedError):
        return None
    return memory_line(vocab, st)
