"""Vectors as a numpy file: ``X.npy`` (float [n, dim]) with ``X.vocab.tsv`` beside it
(``word<TAB>count`` per row, count 0 when unknown). Read with ``allow_pickle=False``: an
``.npy`` holding Python objects is refused, never unpickled."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from embed.atomic import atomic_path, save_npy as save_array
from embed.errors import EmbedError
from embed.vectors.checks import refuse_non_finite_rows
from embed.vectors.keyed import KeyedVectors


def npy_vocab_path(path) -> Path:
    path = Path(path)
    return path.with_name(path.name[:-4] + ".vocab.tsv" if path.name.endswith(".npy")
                          else path.name + ".vocab.tsv")


def save_npy(kv: KeyedVectors, path) -> None:
    """Write ``PATH`` (.npy, float32 [n, dim]) and its ``.vocab.tsv``."""
    path = Path(path)
    save_array(path, kv.vectors)
    counts = kv.counts if kv.counts is not None else np.zeros(len(kv), np.int64)
    with atomic_path(npy_vocab_path(path)) as tmp:
        tmp.write_text("".join(f"{w}\t{int(c)}\n" for w, c in zip(kv.words, counts)),
                       encoding="utf-8")


def load_npy(path) -> KeyedVectors:
    path = Path(path)
    vocab = npy_vocab_path(path)
    if not vocab.is_file():
        raise EmbedError(f"{path}: no word list beside it (expected {vocab.name})")
    try:
        vectors = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise EmbedError(f"{path}: holds Python objects, not numbers; embed does not "
                             "unpickle .npy files") from None
        raise EmbedError(f"{path}: damaged .npy file ({e})") from None
    except (OSError, EOFError) as e:
        raise EmbedError(f"{path}: damaged .npy file ({e})") from None
    if vectors.dtype.kind not in "fiu":
        raise EmbedError(f"{path}: holds {vectors.dtype} values, not real numbers")
    words, counts = _read_vocab(vocab)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise EmbedError(f"{path}: shape {vectors.shape} does not match the {len(words)} words "
                         f"in {vocab.name}")
    refuse_non_finite_rows(path, vectors, words)
    return KeyedVectors(words, vectors, counts)


def _read_vocab(vocab: Path) -> tuple[list[str], list[int]]:
    words, counts = [], []
    for lineno, raw in enumerate(vocab.read_bytes().split(b"\n"), 1):
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise EmbedError(f"{vocab}:{lineno}: not UTF-8 text") from None
        if not line:
            continue
        word, _, count = line.partition("\t")
        words.append(word)
        counts.append(int(count) if count.isdigit() else 0)
    return words, counts
