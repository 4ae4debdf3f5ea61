"""Train skip-gram or CBOW on an int32 id stream: the story of one run.

A run starts fresh or from a checkpoint (``checkpoint``), plans its chunks and learning rates
(``schedule``), trains each epoch's chunks on Hogwild threads (``hogwild``) with the fused numba
kernels (``fused``) or, for other optimizers and schedules, through ``embed.nn`` (``layered``),
reports progress (``monitor``) and saves an all-or-nothing checkpoint after every epoch, at the
end and on Ctrl-C.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from embed.data.vocab import Vocabulary
from embed.errors import EmbedError
from embed.lock import writer_lock
from embed.w2v import sampling
from embed.w2v.checkpoint import check_out_dir, corpus_fingerprint, fresh_start, resume_start
from embed.w2v.fused import worker_factory
from embed.w2v.hogwild import EpochRunner, default_threads
from embed.w2v.layered import SOFTMAX_MAX_VOCAB, LayeredTrainer, layered_trainer
from embed.w2v.model import Word2VecModel
from embed.w2v.monitor import Monitor
from embed.w2v.schedule import Schedule
from embed.w2v.settings import TrainSettings

__all__ = ["train", "TrainingInterrupted", "default_threads"]


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; ``model`` holds the weights so far, ``saved`` the checkpoint
    directory written (or None when training had no ``out_dir``)."""

    def __init__(self, model: Word2VecModel, saved: Path | None):
        super().__init__("training interrupted")
        self.model = model
        self.saved = saved


def train(ids, vocab: Vocabulary | None = None, *, settings: TrainSettings | None = None,
          ends=None, threads: int | None = None, progress: bool = False, out_dir=None,
          resume=None, callback=None, extra_settings: dict | None = None, notify=None,
          **values) -> Word2VecModel:
    """Train word vectors on ``ids`` (int32 [n], vocabulary ids, 0 = UNK) and return the model.

    Settings: a ``TrainSettings`` or its fields as keywords (``model="cbow", dim=200, ...``);
    see ``embed.w2v.settings``. ``ends``: int64 sentence end offsets into ``ids`` (windows never
    cross them; None: 10,000-word chunks). ``threads`` defaults to all cores.

    ``out_dir``: a checkpoint is written there after every epoch and at the end. ``resume``: a
    model directory (or Word2VecModel) to continue with its saved settings (only ``epochs`` may
    be given, for a new schedule on a finished model). On the same corpus an unfinished run
    continues where it stopped, on the same learning-rate schedule (a layered run also with its
    optimizer's slots and its hypergradient rate); on new text (online learning, ids encoded
    with the saved vocabulary) a new schedule and a fresh optimizer start from the saved weights.
    ``callback(info)`` is called in the calling thread after every chunk with a dict (epoch,
    chunk, words, total_words, alpha, loss, words_per_sec); raising KeyboardInterrupt from it
    acts as Ctrl-C: a checkpoint is written and ``TrainingInterrupted`` raised.
    ``extra_settings`` (JSON-able) are stored with the settings, e.g. the corpus name.
    ``notify(message)`` receives warnings (default: ``warnings.warn``).
    Raises EmbedError for bad settings, an empty or too small corpus, a one-word vocabulary or a
    loss that became NaN/inf (the last good checkpoint in ``out_dir`` is kept).
    """
    notify = notify or (lambda message: warnings.warn(message, stacklevel=3))
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 1):
        raise EmbedError(f"threads must be an integer >= 1, got {threads!r}")
    ids = ids if isinstance(ids, np.ndarray) else np.asarray(ids, dtype=np.int32)
    ends = check_ends(ends, len(ids))
    if resume is not None:
        given = sorted(set(values) - {"epochs"}) + (["settings"] if settings else [])
        if given:
            raise EmbedError(f"a resumed run trains with the model's saved settings; drop "
                             f"{', '.join(given)}")
        start = resume_start(resume, corpus_fingerprint(ids, ends), len(ids), vocab,
                             epochs=values.get("epochs"))
    else:
        if vocab is None:
            raise EmbedError("a vocabulary is needed to train")
        settings = settings.replace(**values) if settings else TrainSettings(**values)
        start = fresh_start(vocab, settings)
    if start.notice:
        notify(start.notice)
    model, st = start.model, start.settings
    check_corpus(ids, model.vocab, st)
    model.settings = _stored_settings(model.settings, st, extra_settings)
    out_dir = Path(out_dir) if out_dir is not None else None
    with model.training_run():
        if out_dir is None:
            return _run(model, start, ids, ends, threads, progress, None, callback, notify)
        check_out_dir(out_dir)
        with writer_lock(out_dir, what="embed train"):   # one writer per model directory
            return _run(model, start, ids, ends, threads, progress, out_dir, callback, notify)


def _run(model, start, ids, ends, threads, progress, out_dir, callback, notify):
    st = start.settings

    schedule = Schedule(len(ids), st, ends, start.round)
    keep = sampling.keep_probabilities(model.vocab.counts, st.sample, st.keep_unk)
    table = sampling.negative_table(model.vocab.counts, st.keep_unk)
    state = {"epoch": start.epoch, "chunk": start.chunk, "corpus_words": len(ids),
             "corpus_crc": corpus_fingerprint(ids, ends), "round": start.round,
             "complete": False}
    model.state = state
    layered = None
    if st.layered:
        lr = start.lr if start.lr is not None else schedule.alpha(start.epoch, start.chunk)
        layered = layered_trainer(model, keep, table, st, lr, schedule.max_chunk)
        make_worker, threads = (lambda: layered.run), 1   # Ctrl-C then lands between chunks
    else:
        threads = default_threads() if threads is None else threads
        make_worker = worker_factory(model, keep, table, st, schedule.max_chunk, threads)
    monitor = Monitor(schedule, schedule.words_before(start.epoch, start.chunk), model.history,
                      start.history_base, progress, callback, out_dir)

    def checkpoint():
        save_checkpoint(model, out_dir, monitor, layered)

    epoch, runner = start.epoch, None
    try:
        for epoch in range(start.epoch, st.epochs):
            first = start.chunk if epoch == start.epoch else 0
            state.update(epoch=epoch, chunk=first)
            runner = EpochRunner(make_worker, ids, schedule, epoch, first, threads)
            for result in runner.results():
                monitor.add(epoch, result)
            runner = None
            state.update(epoch=epoch + 1, chunk=0)
            if epoch + 1 < st.epochs:
                checkpoint()
    except KeyboardInterrupt:
        if runner is not None:
            runner.stop()
            state.update(epoch=epoch, chunk=runner.next_chunk)
            for result in runner.drain():   # finished after the interrupt: in the weights
                monitor.add(epoch, result)
        monitor.close()
        checkpoint()
        raise TrainingInterrupted(model, out_dir) from None
    except BaseException:
        if runner is not None:
            runner.stop()
        monitor.close()
        raise
    monitor.close()
    state.update(epoch=st.epochs, chunk=0, complete=True)
    checkpoint()
    if not monitor.measured:
        notify(f"the corpus is too small to measure a loss ({len(ids):,} words): vectors "
               "trained on so little text say little")
    return model


def save_checkpoint(model: Word2VecModel, out_dir: Path | None, monitor: Monitor,
                    layered: LayeredTrainer | None) -> None:
    """Bring the model's history and optimizer state up to date and write it to ``out_dir``
    (if any); refuse weights that hold NaN/inf, keeping the last good checkpoint."""
    model.sync_tables()
    model.history = monitor.history_array()
    if layered is not None:
        model.optimizer_state = layered.state()
        if layered.hyper is not None:
            model.state["lr"] = layered.opt.lr
    if not all(_finite(table) for table in model.weights().values()):
        kept = f"; the last good checkpoint in {out_dir} is kept" if out_dir else ""
        raise EmbedError(f"training diverged: the weights hold NaN/inf (lower --alpha){kept}")
    if out_dir is not None:
        model.save(out_dir)


def _finite(table: np.ndarray, rows: int = 1 << 16) -> bool:
    """No NaN/inf in ``table``, checked a slice at a time (a model family's tables may be
    gigabytes: no temporary of their size)."""
    return all(np.isfinite(table[s:s + rows]).all() for s in range(0, len(table), rows))


def check_ends(ends, n: int) -> np.ndarray | None:
    """Sentence ends as int64, increasing, the last one ``n``; EmbedError otherwise."""
    if ends is None:
        return None
    ends = np.asarray(ends, dtype=np.int64)
    if ends.ndim != 1 or not len(ends) or ends[-1] != n or ends[0] <= 0 or (
            len(ends) > 1 and np.any(np.diff(ends) <= 0)):
        raise EmbedError("sentence ends must be increasing offsets into the corpus, the last "
                         f"one its length ({n})")
    return ends


def check_corpus(ids: np.ndarray, vocab: Vocabulary, st: TrainSettings) -> None:
    if ids.ndim != 1 or len(ids) == 0:
        raise EmbedError("the corpus is empty")
    if ids.dtype != np.int32:
        raise EmbedError(f"the id stream must be int32, got {ids.dtype}")
    trainable_words = len(vocab) - (0 if st.keep_unk else 1)
    if trainable_words < 2:
        raise EmbedError(f"the vocabulary has only {max(trainable_words, 0)} trainable word(s); "
                         "word vectors need at least two (lower --min-count or use more text)")
    if int(ids.max()) >= len(vocab) or int(ids.min()) < 0:
        raise EmbedError("the id stream has ids outside the vocabulary")
    n = len(ids) if st.keep_unk else int(np.count_nonzero(ids))
    if n <= st.window:
        raise EmbedError(f"the corpus has {n} in-vocabulary words, fewer than the window needs "
                         f"(more than {st.window})")
    if st.loss == "softmax" and len(vocab) > SOFTMAX_MAX_VOCAB:
        raise EmbedError(f"the full-softmax cross-check is for vocabularies of at most "
                         f"{SOFTMAX_MAX_VOCAB} words, this one has {len(vocab)}")


def _stored_settings(saved: dict, st: TrainSettings, extra: dict | None) -> dict:
    """settings.json: the training settings plus what the caller records beside them (the
    corpus, the vocabulary settings), which may not silently override a training setting."""
    clash = sorted(set(extra or {}) & set(TrainSettings.names()))
    if clash:
        raise EmbedError(f"extra_settings may not override training settings: {', '.join(clash)}")
    return {**saved, **(extra or {}), **st.to_dict()}
