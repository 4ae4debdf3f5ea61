"""gensim's own `KeyedVectors`: conversion both ways and its native (pickle) files.

A gensim file is a Python pickle, and unpickling runs whatever code the file names. So a file is
read this way only when the caller declared it a gensim file (``format="gensim"``, or a
``.kv`` / ``.model`` name, see `embed.vectors.io`), and even then with a `PickleWarning`.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from embed.atomic import atomic_path
from embed.errors import EmbedError
from embed.vectors.keyed import KeyedVectors


class PickleWarning(UserWarning):
    """A file is being unpickled: it can run code, so it must come from someone trusted."""


def to_gensim(kv: KeyedVectors):
    """A `gensim.models.KeyedVectors` with the same words, in the same order, and a copy of the
    same float32 vectors; the counts (when known) as gensim's ``count`` attribute."""
    from gensim.models import KeyedVectors as GensimKV

    g = GensimKV(kv.dim, count=len(kv), dtype=np.float32)
    g.index_to_key = list(kv.words)
    g.key_to_index = dict(kv.index)
    g.vectors = kv.vectors.copy()
    g.next_index = len(kv)
    counts = kv.counts if kv.counts is not None else np.arange(len(kv), 0, -1)
    g.expandos["count"] = np.asarray(counts, dtype=np.int64)
    return g


def from_gensim(g) -> KeyedVectors:
    """Our `KeyedVectors` of a gensim `KeyedVectors` (or of a model holding one as ``.wv``)."""
    g = getattr(g, "wv", g)
    counts = None
    if "count" in getattr(g, "expandos", {}):
        counts = np.asarray(g.expandos["count"], dtype=np.int64)
    return KeyedVectors([str(w) for w in g.index_to_key], g.vectors, counts)


def save_gensim(kv: KeyedVectors, path) -> None:
    """Write one pickle that ``gensim.models.KeyedVectors.load`` reads."""
    g = to_gensim(kv)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        g.save(f)  # a file handle keeps everything in one pickle (no side .npy files)


def load_gensim(path) -> KeyedVectors:
    """Unpickle a gensim ``KeyedVectors.save`` or whole-model (``Word2Vec.save``) file. Runs
    the code a pickle names: only for files the caller declared trusted."""
    from gensim.utils import SaveLoad

    path = Path(path)
    warnings.warn(f"reading {path} as a gensim pickle: pickles can run code, so load only "
                  "files you trust", PickleWarning, stacklevel=3)
    try:
        obj = SaveLoad.load(str(path))
    except Exception as e:  # unpickling errors come in many types
        raise EmbedError(f"{path}: not a readable gensim file ({type(e).__name__}: {e})") from None
    g = getattr(obj, "wv", obj)
    if not hasattr(g, "index_to_key") or not hasattr(g, "vectors"):
        raise EmbedError(f"{path}: a gensim {type(obj).__name__}, not word vectors")
    return from_gensim(g)
