"""Where a run starts: fresh weights, or a saved model continued on the same or on new text.

A checkpoint is the model directory (``Word2VecModel.save``, all-or-nothing) with
``train_state.json``: the round, epoch and chunk reached, the corpus it was trained on (its
length and crc32), whether the schedule is complete and, for the hypergradient schedule, the
rate reached. ``resume_start`` reads it back and checks every array before a kernel sees it.
"""
from __future__ import annotations

import math
import os
import zlib
from dataclasses import dataclass

import numpy as np

from embed.atomic import cannot_write
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError
from embed.modeldir import check_finite
from embed.w2v import huffman
from embed.w2v.model import STATE, Word2VecModel, load_model
from embed.w2v.settings import TrainSettings


@dataclass
class Start:
    """The model to train and where its schedule starts."""

    model: Word2VecModel
    settings: TrainSettings
    round: int = 0          # 0 for the first schedule, +1 for every schedule on new text
    epoch: int = 0
    chunk: int = 0
    history_base: int = 0   # words processed before this schedule (the loss curve continues)
    lr: float | None = None  # the hypergradient rate reached, when it continues
    notice: str | None = None  # something the user should know about this start


def corpus_fingerprint(ids: np.ndarray, ends: np.ndarray | None = None) -> int:
    """crc32 of the id stream and its sentence ends: tells a resumed run whether it sees the
    same corpus, cut the same way."""
    crc = 0
    step = 1 << 22
    for s in range(0, len(ids), step):
        crc = zlib.crc32(np.ascontiguousarray(ids[s:s + step]).view(np.uint8), crc)
    if ends is not None:
        crc = zlib.crc32(np.ascontiguousarray(ends, dtype=np.int64).view(np.uint8), crc)
    return crc


def check_out_dir(path) -> None:
    """Fail before any training if checkpoints could never be written to ``path`` (a file in
    the way, no permission, a read-only disk): the first one comes only after an epoch."""
    from pathlib import Path

    path = Path(path)
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir():
        raise EmbedError(f"cannot write the model to {path}: {p} is a file, not a directory")
    # where the first file will be created: the directory itself, or the ancestor that will
    # hold it (left as it is, so a run that fails early leaves no empty model directory)
    probe = p / f".write-test.{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise cannot_write(path, e) from None


def fresh_start(vocab: Vocabulary, settings: TrainSettings) -> Start:
    """Input table small Gaussian (word2vec's uniform(+-0.5/dim) has the same spread), output
    0; with hierarchical softmax, the Huffman tree over the vocabulary and its node table (0).
    A subword model: its tables as `embed.w2v.subword_tables` starts them."""
    from embed.nn.layers import Embedding

    if settings.subwords:
        from embed.w2v.subword_rows import NGRAMS
        from embed.w2v.subword_tables import fresh_tables

        vectors, ngrams, output = fresh_tables(vocab, settings)
        model = Word2VecModel(vectors, output, vocab, settings.to_dict())
        model.arrays[NGRAMS] = ngrams
        return Start(model, settings)
    sigma = 0.5 / settings.dim / math.sqrt(3.0)
    vectors = Embedding(len(vocab), settings.dim, sigma=sigma, seed=settings.seed).W
    output = np.zeros_like(vectors) if settings.output_table else None
    model = Word2VecModel(vectors, output, vocab, settings.to_dict())
    if settings.hs:
        model.arrays.update(huffman.fresh_arrays(vocab.counts, settings.keep_unk, settings.dim))
    return Start(model, settings)


def check_tables(model: Word2VecModel, settings: TrainSettings, where) -> None:
    """Every array's shape, dtype and values fit the vocabulary and settings (a kernel given a
    short or wide table, or a path leaving its tree, would read and write out of bounds)."""
    want = (len(model.vocab), settings.dim)
    tables = [("vectors.npy", model.vectors)]
    if settings.output_table:
        tables.append(("output.npy", model.output))
    for name, table in tables:
        if table is None:
            raise EmbedError(f"{where}: the model has no {name}; it cannot be resumed")
        if table.shape != want or table.dtype != np.float32:
            raise EmbedError(f"{where}: {name} is {table.dtype} {table.shape}; the vocabulary "
                             f"and settings need float32 {want}")
        check_finite(table, os.path.join(str(where), name))
    if settings.subwords:
        from embed.w2v.subword_tables import check_ngram_table

        check_ngram_table(model, settings, where)
    if settings.hs:
        huffman.check_tree(model.arrays, len(model.vocab), settings.dim, settings.keep_unk,
                           where)
        check_finite(model.arrays[huffman.NODES], os.path.join(str(where),
                                                               f"{huffman.NODES}.npy"))


def _int(state: dict, key: str, where) -> int:
    value = state.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EmbedError(f"{where}: the saved training state ({STATE}) is damaged: "
                         f"{key}={value!r}")
    return value


def resume_start(resume, ids_crc: int, n_words: int, vocab: Vocabulary | None = None,
                 epochs: int | None = None) -> Start:
    """Continue ``resume`` (a model directory or Word2VecModel) on a corpus of ``n_words`` ids
    with fingerprint ``ids_crc``.

    The same corpus and an unfinished schedule: continue where it stopped. The same corpus and
    a finished schedule: an error, unless ``epochs`` asks for a new schedule of that many
    epochs. Other text (online learning, encoded with the model's vocabulary): a new schedule
    from the saved weights with a fresh optimizer.
    """
    where = resume if isinstance(resume, (str, os.PathLike)) else "the resumed model"
    model = resume if isinstance(resume, Word2VecModel) else load_model(resume, verify=True)
    if vocab is not None and vocab != model.vocab:
        raise EmbedError("the corpus was encoded with another vocabulary than the resumed "
                         "model's; encode it with the model's vocabulary")
    settings = TrainSettings.from_dict(model.settings, str(where))
    model.vectors = np.ascontiguousarray(model.vectors)
    model.output = None if model.output is None else np.ascontiguousarray(model.output)
    model.arrays = {k: np.ascontiguousarray(v) for k, v in model.arrays.items()}
    check_tables(model, settings, where)
    state = model.state if model.state is not None else {}
    if not isinstance(state, dict):
        raise EmbedError(f"{where}: the saved training state ({STATE}) is not a JSON object")
    round_, epoch, chunk = (_int(state, k, where) for k in ("round", "epoch", "chunk"))
    same = state.get("corpus_crc") == ids_crc and state.get("corpus_words") == n_words
    complete = bool(state.get("complete", False))
    history_base = int(model.history[-1, 0]) if len(model.history) else 0
    if same and not complete:
        if epochs is not None and epochs != settings.epochs:
            raise EmbedError(f"{where} stopped in the middle of its {settings.epochs}-epoch "
                             "schedule; resume it without --epochs (or train further after)")
        if not (epoch <= settings.epochs):
            raise EmbedError(f"{where}: the saved training position (epoch {epoch}, chunk "
                             f"{chunk}) does not fit the model's settings")
        lr = state.get("lr") if settings.lr_schedule == "hypergradient" else None
        if lr is not None and not (isinstance(lr, (int, float)) and math.isfinite(lr)
                                   and lr >= 0):
            raise EmbedError(f"{where}: the saved training state ({STATE}) is damaged: lr={lr!r}")
        return Start(model, settings, round_, epoch, chunk, 0, lr)
    if same and epochs is None:
        raise EmbedError(f"{where} has already trained all {settings.epochs} epochs on this "
                         "corpus; to train it more, add --epochs N (a new schedule of N epochs "
                         "from the saved weights) or new text with --corpus FILE")
    if epochs is not None:
        settings = settings.replace(epochs=epochs)
        model.settings = {**model.settings, "epochs": epochs}
    model.optimizer_state = None
    notice = None
    if not same and not complete:
        notice = (f"{where} stopped in the middle of a schedule on other text; the corpus "
                  "changed since, so this starts a new schedule on the new text")
    return Start(model, settings, round_ + 1, 0, 0, history_base, None, notice)
