"""The on-disk layout of a trained model directory, shared by the trainer and the readers.

    MODEL_DIR/vectors.npy    float32 [V, dim]  input (word) vectors, row i = vocabulary id i
    MODEL_DIR/output.npy     float32 [V, dim]  output (context / negative-sampling) weights
    MODEL_DIR/vocab.tsv      word<TAB>count, id order, UNK first
    MODEL_DIR/settings.json  training settings (model, dim, window, ..., keep_unk)
    MODEL_DIR/history.tsv    words_processed<TAB>loss: running loss, for the convergence plot

The trainer may add files of its own (for example resume state); readers ignore what they don't
know. Every file is written atomically, so an interrupted save leaves the previous checkpoint.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embed.atomic import atomic_path, make_dirs, save_npy, write_text
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError

VECTORS = "vectors.npy"
OUTPUT = "output.npy"
VOCAB = "vocab.tsv"
SETTINGS = "settings.json"
HISTORY = "history.tsv"


@dataclass
class ModelFiles:
    vectors: np.ndarray
    vocab: Vocabulary
    settings: dict = field(default_factory=dict)
    output: np.ndarray | None = None
    history: np.ndarray | None = None  # [n, 2]: words processed, running loss


def is_model_dir(path: str | os.PathLike) -> bool:
    p = Path(path)
    return p.is_dir() and (p / VECTORS).is_file() and (p / VOCAB).is_file()


def save(path: str | os.PathLike, files: ModelFiles) -> None:
    path = Path(path)
    make_dirs(path)
    if files.vectors.shape[0] != len(files.vocab):
        raise EmbedError("vectors and vocabulary differ in length")
    save_npy(path / VECTORS, np.ascontiguousarray(files.vectors, dtype=np.float32))
    if files.output is not None:
        save_npy(path / OUTPUT, np.ascontiguousarray(files.output, dtype=np.float32))
    files.vocab.save(path / VOCAB)
    write_text(path / SETTINGS, json.dumps(files.settings, indent=2, sort_keys=True) + "\n")
    if files.history is not None:
        with atomic_path(path / HISTORY) as tmp:
            np.savetxt(tmp, np.asarray(files.history, dtype=np.float64).reshape(-1, 2),
                       fmt=["%d", "%.6g"], delimiter="\t", header="words\tloss", comments="")


def load(path: str | os.PathLike, mmap: bool = False) -> ModelFiles:
    path = Path(path)
    if not path.exists():
        raise EmbedError(f"model not found: {path}")
    if not is_model_dir(path):
        raise EmbedError(f"{path} is not a model directory (needs {VECTORS} and {VOCAB})")
    try:
        vectors = np.load(path / VECTORS, mmap_mode="r" if mmap else None)
        output = (np.load(path / OUTPUT, mmap_mode="r" if mmap else None)
                  if (path / OUTPUT).is_file() else None)
    except (ValueError, OSError, EOFError) as e:
        raise EmbedError(f"{path}: damaged model file ({e})") from None
    vocab = Vocabulary.load(path / VOCAB)
    if vectors.ndim != 2 or vectors.shape[0] != len(vocab):
        raise EmbedError(f"{path}: {VECTORS} has shape {vectors.shape} but the vocabulary has "
                         f"{len(vocab)} words")
    settings = {}
    if (path / SETTINGS).is_file():
        try:
            settings = json.loads((path / SETTINGS).read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise EmbedError(f"{path / SETTINGS}: not valid JSON ({e})") from None
    history = None
    if (path / HISTORY).is_file():
        history = np.loadtxt(path / HISTORY, delimiter="\t", skiprows=1, ndmin=2)
    return ModelFiles(vectors=vectors, vocab=vocab, settings=settings, output=output,
                      history=history)
