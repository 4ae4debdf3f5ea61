"""A trained (or training) word2vec model: the two weight tables, the vocabulary, the settings.

``Word2VecModel`` is what ``embed.w2v.train.train`` returns and what ``embed.load(path)`` reads
back. On disk it is an ``embed.modeldir`` directory plus ``train_state.json``, the trainer's
position in its learning-rate schedule (epoch, chunk, words done), which ``--resume`` needs,
and, for a layered run with a stateful optimizer, ``optimizer.npz`` (its per-row slots): all
of them written as one all-or-nothing checkpoint.
"""
from __future__ import annotations

import contextlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from embed import modeldir
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError

STATE = "train_state.json"
# Per-row optimizer slots (Adam's moments, AdaGrad's sums, ...) of a layered run, so that
# --resume continues the optimizer and not only the learning-rate schedule.
OPTIMIZER = "optimizer.npz"


class Word2VecModel:
    """Skip-gram or CBOW weights with their vocabulary.

    vectors: float32 [V, dim], row i the input vector of vocabulary id i (UNK is row 0);
    output: float32 [V, dim], the negative-sampling output weights (None for hierarchical
    softmax alone, whose node table is one of the ``arrays``); settings: the training
    settings (dict, JSON-able); history: float64 [n, 2] of (corpus words processed, running
    loss); state: the trainer's schedule position (dict) or None; optimizer_state: the
    optimizer's slot arrays by "param.slot" name (layered runs with a stateful optimizer) or None;
    arrays: the other arrays a model family keeps (a hierarchical-softmax tree and its output
    table, subword rows, ...) by name, each saved as ``NAME.npy`` in the same checkpoint.
    """

    def __init__(self, vectors: np.ndarray, output: np.ndarray | None, vocab: Vocabulary,
                 settings: dict | None = None, history=None, state: dict | None = None):
        if vectors.shape[0] != len(vocab):
            raise EmbedError(f"vectors have {vectors.shape[0]} rows but the vocabulary has "
                             f"{len(vocab)} words")
        self.vectors = vectors
        self.output = output
        self.vocab = vocab
        self.settings = dict(settings or {})
        self.history = (np.zeros((0, 2)) if history is None
                        else np.asarray(history, dtype=np.float64).reshape(-1, 2))
        self.state = state
        self.arrays: dict[str, np.ndarray] = {}
        # name -> fn() writing a training run's working copy of a table back into the model
        # (kernels that train a rearranged copy register one; see sync_tables)
        self.syncs: dict = {}
        self._optimizer_state: dict | None = None
        self._optimizer_file: Path | None = None  # read on first use (only --resume needs it)
        self._wv = None

    def __repr__(self) -> str:
        return (f"Word2VecModel({self.settings.get('model', '?')}, {len(self.vocab)} words, "
                f"dim {self.dim})")

    @property
    def optimizer_state(self) -> dict | None:
        if self._optimizer_state is None and self._optimizer_file is not None:
            f, self._optimizer_file = self._optimizer_file, None
            try:
                with np.load(f, allow_pickle=False) as npz:
                    self._optimizer_state = {k: npz[k] for k in npz.files}
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
                raise EmbedError(f"{f}: damaged optimizer state ({e})") from None
        return self._optimizer_state

    @optimizer_state.setter
    def optimizer_state(self, value: dict | None) -> None:
        self._optimizer_state, self._optimizer_file = value, None

    def weights(self) -> dict[str, np.ndarray]:
        """Every trained float table by file stem: vectors, output (if any) and the family's
        float arrays (a hierarchical-softmax node table)."""
        out = {"vectors": self.vectors, "output": self.output, **self.arrays}
        return {k: v for k, v in out.items() if v is not None and v.dtype.kind == "f"}

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def keep_unk(self) -> bool:
        return bool(self.settings.get("keep_unk", False))

    @property
    def wv(self):
        """The input vectors as ``embed.vectors.KeyedVectors`` (UNK dropped unless keep_unk);
        a subword model's as ``embed.subwords.vectors.SubwordVectors``, which has a vector for
        any word with a known character n-gram."""
        if self._wv is None and "ngrams" in self.arrays:
            from embed.subwords.vectors import SubwordVectors

            self._wv = SubwordVectors.from_trained(
                self.vocab, self.vectors, self.arrays["ngrams"], self.settings, self.output,
                self.keep_unk, normalize=query_normalizer(self.settings, self.vocab))
        if self._wv is None:
            from embed.vectors import KeyedVectors

            start = 0 if self.keep_unk else 1
            self._wv = KeyedVectors(self.vocab.words[start:], np.asarray(self.vectors[start:]),
                                    counts=self.vocab.counts[start:],
                                    normalize=query_normalizer(self.settings, self.vocab))
        return self._wv

    def sync_tables(self) -> None:
        """Bring the model's tables up to date with the working copies a training run keeps
        (before a checkpoint, and when the run ends)."""
        for sync in self.syncs.values():
            sync()

    @contextlib.contextmanager
    def training_run(self):
        """A training run: its working copies are written back and dropped when it ends, so
        later changes to the tables are never overwritten by a stale copy."""
        try:
            yield self
        finally:
            self.sync_tables()
            self.syncs.clear()
            self._wv = None

    def most_similar(self, word, topn: int = 10):
        return self.wv.most_similar(word, topn=topn)

    def save(self, path: str | os.PathLike) -> None:
        """Write the model directory as one all-or-nothing checkpoint (``embed.modeldir``)."""
        self.sync_tables()
        extra = {}
        state = self.state
        if self.optimizer_state:
            slots = dict(self.optimizer_state)

            def write_slots(p):
                with open(p, "wb") as f:   # a file object: np.savez would append .npz
                    np.savez(f, **slots)
            extra[OPTIMIZER] = write_slots
            state = {**(state or {}), "optimizer_file": OPTIMIZER}
        if self.arrays:
            for name, array in self.arrays.items():
                extra[f"{name}.npy"] = modeldir.npy_writer(array, dtype=array.dtype)
            state = {**(state or {}), "arrays": sorted(self.arrays)}
        if state is not None:
            extra[STATE] = modeldir.json_writer(state)
        modeldir.save(Path(path), modeldir.ModelFiles(
            vectors=self.vectors, vocab=self.vocab, settings=self.settings, output=self.output,
            history=self.history, extra=extra))
        self._wv = None


def query_normalizer(settings: dict, vocab: Vocabulary):
    """How a query word is spelled the way the corpus was read (``King`` finds ``king``): the
    rule that tokenised the corpus (before any phrases were joined), else the vocabulary's."""
    from embed.data.tokens import normalizer

    return normalizer(settings.get("tokens") or vocab.tokens)


def load_model(path: str | os.PathLike, mmap: bool = False,
               verify: bool = False) -> Word2VecModel:
    """Read a model directory written by ``Word2VecModel.save`` / ``embed train``; ``verify``
    checks every file against the checkpoint's checksums (``--resume`` does)."""
    files = modeldir.load(path, mmap=mmap, history=True, verify=verify)
    state = None
    state_file = Path(path) / STATE
    if state_file.is_file():
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise EmbedError(f"{state_file}: not valid JSON ({e})") from None
    vectors = files.vectors if mmap else np.ascontiguousarray(files.vectors, dtype=np.float32)
    output = files.output
    if output is not None and not mmap:
        output = np.ascontiguousarray(output, dtype=np.float32)
    model = Word2VecModel(vectors, output, files.vocab, files.settings, files.history, state)
    if isinstance(state, dict) and state.get("optimizer_file") == OPTIMIZER:
        model._optimizer_file = Path(path) / OPTIMIZER
    names = state.get("arrays", []) if isinstance(state, dict) else []
    if not (isinstance(names, list) and all(isinstance(n, str) and n.isidentifier()
                                            for n in names)):
        raise EmbedError(f"{state_file}: damaged list of arrays: {names!r}")
    for name in names:
        f = Path(path) / f"{name}.npy"
        try:
            model.arrays[name] = np.load(f, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError, EOFError) as e:
            raise EmbedError(f"{f}: missing or damaged ({e})") from None
    return model
