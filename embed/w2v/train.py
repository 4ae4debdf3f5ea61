"""Train skip-gram or CBOW on an int32 id stream: the schedule, the threads, the checkpoints.

The id stream is cut into chunks of ``CHUNK_WORDS`` corpus words; each chunk is one "sentence"
(windows do not cross it) and one kernel call. Python threads each pull the next chunk and run a
nogil numba kernel on it, all writing the same two tables without locks (Hogwild). The learning
rate of a chunk depends only on its position in the whole run (epoch * corpus + offset), and its
random numbers only on (seed, epoch, chunk), so with one thread a run is bit-for-bit repeatable,
and a resumed run continues the same schedule.

Two paths compute the same model:
- fused (SGD, linear or constant rate): ``kernels_sg`` / ``kernels_cbow`` (batched, default) or
  ``kernels_classic`` (word2vec.c's one-pair-at-a-time update), many threads;
- layered (any ``embed.nn`` optimizer, the hypergradient schedule, or the full-softmax
  cross-check): ``Embedding`` -> ``negative_sampling_loss`` / ``softmax_cross_entropy`` ->
  ``optimizer.step`` on sparse rows, one thread, slower.
"""
from __future__ import annotations

import math
import os
import queue
import threading
import time
import zlib
from collections import deque
from pathlib import Path

import numpy as np

from embed.data.vocab import Vocabulary
from embed.errors import EmbedError
from embed.w2v import sampling
from embed.w2v.model import STATE, Word2VecModel, load_model

MODELS = ("skipgram", "cbow")
KERNELS = ("batched", "classic")
SCHEDULES = ("linear", "constant", "hypergradient")
LOSSES = ("negative", "softmax")
DEFAULT_ALPHA = {"skipgram": 0.025, "cbow": 0.05}  # word2vec.c's
# Learning rates that suit each optimizer when --alpha is not given (SGD: word2vec.c's).
OPTIMIZER_ALPHA = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01, "adadelta": 1.0}
CHUNK_WORDS = 10_000
CBOW_GROUP = 6          # CBOW centre words (one window span apart) sharing one set of negatives
LOSS_WINDOW = 50        # chunks averaged into the running loss (~500 k words)
# The fused kernels measure the loss on every LOSS_EVERY-th centre word (group for CBOW): the
# log/exp per score would otherwise cost about a third of skip-gram's time.
LOSS_EVERY = 8
LAYERED_ROWS = 512      # examples per optimizer step on the layered path
SOFTMAX_MAX_VOCAB = 5000
# Hypergradient step on the rate. The losses are sums over LAYERED_ROWS examples, so the product
# of successive gradients scales with LAYERED_ROWS**2; Baydin et al.'s 1e-3 (for mean losses)
# is rescaled to match.
HYPER_BETA = 1e-3 / LAYERED_ROWS ** 2


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; ``model`` holds the weights so far, ``saved`` the checkpoint
    directory written (or None when training had no ``out_dir``)."""

    def __init__(self, model: Word2VecModel, saved: Path | None):
        super().__init__("training interrupted")
        self.model = model
        self.saved = saved


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def corpus_fingerprint(ids: np.ndarray) -> int:
    """crc32 of the id stream: tells a resumed run whether it sees the same corpus."""
    crc = 0
    step = 1 << 22
    for s in range(0, len(ids), step):
        crc = zlib.crc32(np.ascontiguousarray(ids[s:s + step]).view(np.uint8), crc)
    return crc


# ---- settings ------------------------------------------

def check_settings(model, dim, window, negative, sample, epochs, alpha, min_alpha, seed,
                   optimizer, kernel, keep_unk, lr_schedule, loss) -> dict:
    """The validated settings dict a run stores (defaults filled in); EmbedError if one is bad."""
    if model not in MODELS:
        raise EmbedError(f"unknown model {model!r}; choose skipgram or cbow")
    if kernel not in KERNELS:
        raise EmbedError(f"unknown kernel {kernel!r}; choose batched or classic")
    if lr_schedule not in SCHEDULES:
        raise EmbedError(f"unknown learning-rate schedule {lr_schedule!r}; choose "
                         + ", ".join(SCHEDULES))
    if loss not in LOSSES:
        raise EmbedError(f"unknown loss {loss!r}; choose negative or softmax")
    from embed.nn.optimizers import OPTIMIZERS

    optimizer = str(optimizer).lower()
    if optimizer not in OPTIMIZERS:
        raise EmbedError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    for name, value, low in (("dim", dim, 1), ("window", window, 1), ("epochs", epochs, 1),
                             ("negative", negative, 1 if loss == "negative" else 0)):
        if not _is_int(value) or value < low:
            raise EmbedError(f"{name} must be an integer >= {low}, got {value!r}")
    for name, value in (("alpha", alpha), ("min-alpha", min_alpha), ("sample", sample)):
        if value is not None and not _is_number(value):
            raise EmbedError(f"{name} must be a number, got {value!r}")
    if not _is_int(seed):
        raise EmbedError(f"seed must be an integer, got {seed!r}")
    if alpha is None:
        alpha = OPTIMIZER_ALPHA.get(optimizer, DEFAULT_ALPHA[model])
    if min_alpha is None:
        min_alpha = alpha * 1e-4
    if not (alpha > 0 and math.isfinite(alpha)):
        raise EmbedError(f"alpha must be a positive number, got {alpha}")
    if not (0 <= min_alpha <= alpha):
        raise EmbedError(f"min-alpha must be between 0 and alpha ({alpha}), got {min_alpha}")
    if not (sample >= 0 and math.isfinite(sample)):
        raise EmbedError(f"sample must be >= 0, got {sample}")
    return dict(model=model, dim=int(dim), window=int(window), negative=int(negative),
                sample=float(sample), epochs=int(epochs), alpha=float(alpha),
                min_alpha=float(min_alpha), seed=int(seed), optimizer=optimizer, kernel=kernel,
                keep_unk=bool(keep_unk), lr_schedule=lr_schedule, loss=loss,
                chunk_words=CHUNK_WORDS, cbow_group=CBOW_GROUP)


def _is_int(value) -> bool:
    """An integer, or a float with an integer value (100.0 from a search space)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, (float, np.floating)) and math.isfinite(value) and value == int(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _saved_settings(saved: dict, where) -> dict:
    """The settings of a model being resumed, validated like new ones (a hand-edited or
    damaged settings.json is a one-line error, not a traceback)."""
    names = ("model", "dim", "window", "negative", "sample", "epochs", "alpha", "min_alpha",
             "seed", "optimizer", "kernel", "keep_unk", "lr_schedule", "loss")
    missing = [k for k in names if k not in saved]
    if missing:
        raise EmbedError(f"{where}: the saved settings lack {', '.join(missing)}; "
                         "it cannot be resumed")
    try:
        st = check_settings(**{k: saved[k] for k in names})
    except EmbedError as e:
        raise EmbedError(f"{where}: bad saved settings: {e}") from None
    # the chunking of the run being continued, so that its saved chunk position means the same
    for k in ("chunk_words", "cbow_group"):
        if k in saved:
            if not _is_int(saved[k]) or saved[k] < 1:
                raise EmbedError(f"{where}: saved setting {k} must be an integer >= 1, "
                                 f"got {saved[k]!r}")
            st[k] = int(saved[k])
    return {**saved, **st}


def _check_corpus(ids: np.ndarray, vocab: Vocabulary, st: dict) -> None:
    if ids.ndim != 1 or len(ids) == 0:
        raise EmbedError("the corpus is empty")
    if ids.dtype != np.int32:
        raise EmbedError(f"the id stream must be int32, got {ids.dtype}")
    trainable_words = len(vocab) - (0 if st["keep_unk"] else 1)
    if trainable_words < 2:
        raise EmbedError(f"the vocabulary has only {max(trainable_words, 0)} trainable word(s); "
                         "word vectors need at least two (lower --min-count or use more text)")
    n = len(ids) if st["keep_unk"] else int(np.count_nonzero(ids))
    if n <= st["window"]:
        raise EmbedError(f"the corpus has {n} in-vocabulary words, fewer than the window needs "
                         f"(more than {st['window']})")
    if st["loss"] == "softmax" and len(vocab) > SOFTMAX_MAX_VOCAB:
        raise EmbedError(f"the full-softmax cross-check is for vocabularies of at most "
                         f"{SOFTMAX_MAX_VOCAB} words, this one has {len(vocab)}")


def _init_model(vocab: Vocabulary, st: dict) -> Word2VecModel:
    """Input table small Gaussian (word2vec's uniform(+-0.5/dim) has the same spread), output 0."""
    from embed.nn.layers import Embedding

    sigma = 0.5 / st["dim"] / math.sqrt(3.0)
    vectors = Embedding(len(vocab), st["dim"], sigma=sigma, seed=st["seed"]).W
    output = np.zeros_like(vectors)
    return Word2VecModel(vectors, output, vocab, st)


# ---- the plan: which chunks, at which learning rate ---------------------------------------------

class _Plan:
    """Chunk positions and the learning rate at each, for a run over ``epochs`` x ``n`` words."""

    def __init__(self, n: int, st: dict, round_: int = 0):
        self.n = n
        self.chunk = st["chunk_words"]
        self.chunks = -(-n // self.chunk)
        self.epochs = st["epochs"]
        self.total = n * self.epochs
        self.st = st
        self.round = round_

    def bounds(self, c: int) -> tuple[int, int]:
        return c * self.chunk, min(self.n, (c + 1) * self.chunk)

    def words_before(self, epoch: int, c: int) -> int:
        return epoch * self.n + min(self.n, c * self.chunk)

    def alpha(self, epoch: int, c: int) -> float:
        st = self.st
        if st["lr_schedule"] == "constant":
            return st["alpha"]
        frac = self.words_before(epoch, c) / self.total
        return max(st["min_alpha"], st["alpha"] - (st["alpha"] - st["min_alpha"]) * frac)

    def seed(self, epoch: int, c: int) -> int:
        return np.uint64(sampling.chunk_seed(self.st["seed"] + 1_000_003 * self.round, epoch, c))


# ---- fused path ------------------------------------------

def _fused_runner(model: Word2VecModel, keep, table, st: dict):
    """A factory of per-thread functions run(chunk_ids, alpha, seed) -> (trained, loss, n)."""
    syn0, syn1 = model.vectors, model.output
    dim, win, k = st["dim"], st["window"], st["negative"]
    keep_unk = st["keep_unk"]
    f32 = np.float32

    def make():
        buf = np.empty(st["chunk_words"], np.int32)
        if st["kernel"] == "classic":
            from embed.w2v.kernels_classic import (train_cbow_classic_chunk,
                                                   train_sg_classic_chunk)
            neu1 = np.empty(dim, np.float32)
            neu1e = np.empty(dim, np.float32)
            if st["model"] == "skipgram":
                return lambda ids, a, s: train_sg_classic_chunk(
                    syn0, syn1, ids, keep, table, win, k, f32(a), keep_unk, s, LOSS_EVERY, buf,
                    neu1e)
            return lambda ids, a, s: train_cbow_classic_chunk(
                syn0, syn1, ids, keep, table, win, k, f32(a), keep_unk, s, LOSS_EVERY, buf, neu1,
                neu1e)
        if st["model"] == "skipgram":
            from embed.w2v.kernels_sg import train_sg_chunk
            ctx = np.empty(2 * win, np.int32)
            targets = np.empty((2, k + 1), np.int32)
            g = np.empty((2 * win, k + 1), np.float32)
            grad = np.empty((2 * win, dim), np.float32)
            return lambda ids, a, s: train_sg_chunk(
                syn0, syn1, ids, keep, table, win, k, f32(a), keep_unk, s, LOSS_EVERY, buf, ctx,
                targets, g, grad)
        from embed.w2v.kernels_cbow import train_cbow_chunk
        G = st["cbow_group"]
        ctx = np.empty((G, 2 * win), np.int32)
        cnt = np.empty(G, np.int32)
        centres = np.empty(G, np.int32)
        negs = np.empty((2, k), np.int32)
        h = np.empty((G, dim), np.float32)
        dh = np.empty((G, dim), np.float32)
        g = np.empty((G, k + 1), np.float32)
        return lambda ids, a, s: train_cbow_chunk(
            syn0, syn1, ids, keep, table, win, k, f32(a), keep_unk, s, LOSS_EVERY, G, buf, ctx, cnt,
            centres, negs, h, dh, g)

    return make


class _Epoch:
    """Runs the remaining chunks of one epoch on ``threads`` worker threads.

    Workers take chunk numbers in order from a shared counter and report each finished chunk on a
    queue; ``results()`` yields them in the calling (main) thread, so progress, the callback and
    Ctrl-C are all handled there. ``stop()`` lets in-flight chunks finish and hands out no more,
    after which the chunks done are exactly [start, next_chunk).
    """

    def __init__(self, make_run, ids, plan: _Plan, epoch: int, start: int, threads: int):
        self.plan, self.epoch, self.ids = plan, epoch, ids
        self.next_chunk = start
        self.lock = threading.Lock()
        self.done = queue.Queue()
        self.halt = threading.Event()
        self.workers = [threading.Thread(target=self._work, args=(make_run,), daemon=True)
                        for _ in range(max(1, min(threads, plan.chunks - start)))]
        for t in self.workers:
            t.start()

    def _take(self):
        with self.lock:
            if self.halt.is_set() or self.next_chunk >= self.plan.chunks:
                return None
            c = self.next_chunk
            self.next_chunk += 1
            return c

    def _work(self, make_run):
        try:
            run = make_run()
            while (c := self._take()) is not None:
                lo, hi = self.plan.bounds(c)
                chunk = np.asarray(self.ids[lo:hi])
                alpha = self.plan.alpha(self.epoch, c)
                out = run(chunk, alpha, self.plan.seed(self.epoch, c))
                # (trained, loss, nloss[, the rate after the chunk when the run adapts it])
                lr = out[3] if len(out) > 3 else alpha
                self.done.put((c, hi - lo, out[0], out[1], out[2], lr))
        except BaseException as e:  # surfaced in the main thread
            self.halt.set()
            self.done.put(e)
        finally:
            self.done.put(None)

    def results(self):
        alive = len(self.workers)
        while alive:
            try:
                item = self.done.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                alive -= 1
            elif isinstance(item, BaseException):
                self.stop()
                raise item
            else:
                yield item

    def stop(self):
        self.halt.set()
        for t in self.workers:
            t.join()


# ---- layered path ------------------------------------------

class _Layered:
    """The same models through embed.nn: Embedding -> loss -> optimizer.step (sparse rows)."""

    def __init__(self, model: Word2VecModel, keep, table, st: dict, lr: float):
        from embed.nn.layers import Embedding
        from embed.nn.optimizers import get_optimizer
        from embed.nn.schedules import Hypergradient

        self.st, self.keep, self.table = st, keep, table
        self.emb = Embedding(1, st["dim"])
        self.emb.W = model.vectors          # share the model's table, no copy
        self.out = model.output
        self.opt = get_optimizer(st["optimizer"], lr=lr)
        self.hyper = (Hypergradient(lr, beta=st.get("hyper_beta", HYPER_BETA),
                                    lr_min=st["min_alpha"])
                      if st["lr_schedule"] == "hypergradient" else None)
        n, win, k = st["chunk_words"], st["window"], st["negative"]
        self.buf = np.empty(n, np.int32)
        self.inputs = np.empty(2 * win * n, np.int32)
        self.counts = np.empty(n, np.int32)
        self.targets = np.empty((n, k + 1), np.int32)
        if model.optimizer_state:
            self._restore(model.optimizer_state)

    def _params(self):
        return (("vectors", self.emb.W), ("output", self.out))

    def slots(self) -> dict:
        """The optimizer's per-parameter slot arrays by "param.slot" name (empty for SGD)."""
        out = {}
        for name, p in self._params():
            state = self.opt.state.get(id(p))
            if state is not None and state["param"] is p:
                out.update({f"{name}.{slot}": state[slot] for slot in self.opt.slots})
        return out

    def _restore(self, saved: dict) -> None:
        for name, p in self._params():
            keys = [f"{name}.{slot}" for slot in self.opt.slots]
            if not all(k in saved for k in keys):
                continue
            state = self.opt.state_for(p)
            for slot, key in zip(self.opt.slots, keys):
                if saved[key].shape != state[slot].shape:
                    raise EmbedError(f"the saved optimizer state {key} has shape "
                                     f"{saved[key].shape}, the model needs {state[slot].shape}")
                state[slot][...] = saved[key]

    def _loss(self, h, targets):
        """(loss, dh, grad for the output table) from the configured loss, summed over rows."""
        from embed.nn.losses import negative_sampling_loss, softmax_cross_entropy

        if self.st["loss"] == "negative":
            return negative_sampling_loss(h, self.out, targets, reduction="sum")
        m = h.shape[0]
        # a dropped UNK is no class either (as it is never a negative): softmax over words 1..V-1
        first = 0 if self.st["keep_unk"] else 1
        out = self.out[first:]
        logits = h @ out.T
        onehot = np.zeros_like(logits)
        onehot[np.arange(m), targets[:, 0] - first] = 1
        loss, dlogits = softmax_cross_entropy(logits, onehot)
        dlogits *= m                        # the core's loss is a mean; word2vec's is a sum
        gout = np.zeros_like(self.out)
        gout[first:] = dlogits.T @ h
        return loss * m, dlogits @ out, gout

    def _step(self, grads_in, grad_out):
        params = [self.emb.W, self.out]
        grads = [grads_in, grad_out]
        if self.hyper is not None:
            self.hyper.apply(self.opt, grads)
        self.opt.step(params, grads)

    def run(self, ids, lr, seed):
        """Train one chunk; return (trained words, loss sum, examples in the loss sum, the
        learning rate at the end of the chunk)."""
        from embed.w2v.examples import window_examples

        st = self.st
        if self.hyper is None:
            self.opt.lr = lr
        win, k, keep_unk = st["window"], st["negative"], st["keep_unk"]
        total, count = 0.0, 0
        rows, pairs = window_examples(ids, self.keep, self.table, win, k, keep_unk, seed,
                                      self.buf, self.inputs, self.counts, self.targets)
        if st["model"] == "skipgram":
            # one example per (context, centre) pair, sharing its centre's negatives
            targets = np.repeat(self.targets[:rows], self.counts[:rows], axis=0)
            for s in range(0, pairs, LAYERED_ROWS):
                e = min(pairs, s + LAYERED_ROWS)
                h = self.emb.forward(self.inputs[s:e])
                loss, dh, gout = self._loss(h, targets[s:e])
                self.emb.backward(dh)
                self._step(self.emb.grad, gout)
                total += loss
                count += e - s
        else:
            offsets = np.concatenate(([0], np.cumsum(self.counts[:rows])))
            step = max(1, LAYERED_ROWS // (2 * win))
            for s in range(0, rows, step):
                e = min(rows, s + step)
                cnt = self.counts[s:e]
                vecs = self.emb.forward(self.inputs[offsets[s]:offsets[e]])
                h = np.add.reduceat(vecs, offsets[s:e] - offsets[s], axis=0) / cnt[:, None]
                loss, dh, gout = self._loss(h.astype(np.float32), self.targets[s:e])
                # word2vec's convention: every context row gets the whole gradient of h
                self.emb.backward(np.repeat(dh, cnt, axis=0))
                self._step(self.emb.grad, gout)
                total += loss
                count += e - s
        return int(len(ids)), total, count, self.opt.lr


# ---- the public entry point ------------------------------------------

def train(ids, vocab: Vocabulary | None = None, *, model: str = "skipgram", dim: int = 100,
          window: int = 5, negative: int = 5, sample: float = 1e-3, epochs: int = 5,
          alpha: float | None = None, min_alpha: float | None = None,
          threads: int | None = None, seed: int = 1, optimizer: str = "sgd",
          kernel: str = "batched", keep_unk: bool = False, lr_schedule: str = "linear",
          loss: str = "negative", progress: bool = False, out_dir=None, resume=None,
          callback=None, extra_settings: dict | None = None) -> Word2VecModel:
    """Train word vectors on ``ids`` (int32 [n], vocabulary ids, 0 = UNK) and return the model.

    ``alpha`` defaults to word2vec.c's 0.025 (skip-gram) / 0.05 (CBOW) for SGD, ``min_alpha`` to
    alpha * 1e-4; the rate falls linearly over all epochs (``lr_schedule="linear"``), stays put
    ("constant") or adapts by hypergradient descent ("hypergradient", layered path).
    ``threads`` defaults to all cores. ``kernel`` "batched" (shared negatives, fast) or "classic"
    (word2vec.c's per-pair update). ``optimizer`` other than "sgd", ``lr_schedule`` hypergradient
    or ``loss="softmax"`` (small vocabularies only) train on the layered ``embed.nn`` path.

    ``out_dir``: a checkpoint is written there after every epoch and at the end. ``resume``: a
    model directory (or Word2VecModel) to continue; its saved settings are used (the arguments
    above are ignored except threads, progress, out_dir, callback). On the same corpus an
    unfinished run continues where it stopped, on the same learning-rate schedule (a layered
    run also with its optimizer's slots and its hypergradient rate); on a new corpus (online
    learning, ids encoded with the saved vocabulary) a new schedule and a fresh optimizer start
    from the saved weights. ``callback(info)`` is called in the calling thread after every chunk with
    a dict (epoch, words, total_words, alpha, loss, words_per_sec); raising KeyboardInterrupt
    from it acts as Ctrl-C: a checkpoint is written and ``TrainingInterrupted`` raised.
    ``extra_settings`` (JSON-able) are stored with the settings, e.g. the corpus name.
    Raises EmbedError for bad settings, an empty or too small corpus, a one-word vocabulary or a
    loss that became NaN/inf (the last good checkpoint in ``out_dir`` is kept).
    """
    if threads is not None and (not _is_int(threads) or threads < 1):
        raise EmbedError(f"threads must be an integer >= 1, got {threads!r}")
    ids = ids if isinstance(ids, np.ndarray) else np.asarray(ids, dtype=np.int32)
    fingerprint = corpus_fingerprint(ids)
    if resume is not None:
        w2v = resume if isinstance(resume, Word2VecModel) else load_model(resume)
        if vocab is not None and vocab != w2v.vocab:
            raise EmbedError("the corpus was encoded with another vocabulary than the resumed "
                             "model's; encode it with the model's vocabulary")
        vocab = w2v.vocab
        if w2v.output is None:
            raise EmbedError("the model has no output weights (output.npy), it cannot be resumed")
        st = _saved_settings(dict(w2v.settings), resume if isinstance(resume, (str, os.PathLike))
                             else "the resumed model")
        state = w2v.state or {}
        if not isinstance(state, dict):
            raise EmbedError(f"the saved training state ({STATE}) is not a JSON object")
        same = (state.get("corpus_crc") == fingerprint and state.get("corpus_words") == len(ids)
                and not state.get("complete", False))
        round_, epoch0, chunk0 = (state.get(k, 0) for k in ("round", "epoch", "chunk"))
        # the hypergradient schedule's rate is state, not a function of the position
        lr0 = state.get("lr") if same and st["lr_schedule"] == "hypergradient" else None
        if lr0 is not None and not (_is_number(lr0) and math.isfinite(lr0) and lr0 >= 0):
            raise EmbedError(f"the saved training state ({STATE}) is damaged: {state}")
        if not same:  # online learning: a new schedule, a fresh optimizer
            epoch0, chunk0 = 0, 0
            w2v.optimizer_state = None
        # online learning starts a new schedule; its loss curve continues the old one
        hist_base = 0 if same or not len(w2v.history) else int(w2v.history[-1, 0])
        if not all(_is_int(v) for v in (round_, epoch0, chunk0)):
            raise EmbedError(f"the saved training state ({STATE}) is damaged: {state}")
        round_, epoch0, chunk0 = int(round_) + (0 if same else 1), int(epoch0), int(chunk0)
        if not (0 <= epoch0 <= st["epochs"] and chunk0 >= 0):
            raise EmbedError(f"the saved training position (epoch {epoch0}, chunk {chunk0}) "
                             "does not fit the model's settings")
        w2v.vectors = np.ascontiguousarray(w2v.vectors, dtype=np.float32)
        w2v.output = np.ascontiguousarray(w2v.output, dtype=np.float32)
        if st["dim"] != w2v.vectors.shape[1]:
            raise EmbedError("the model's settings and its vectors disagree on the dimension")
    else:
        if vocab is None:
            raise EmbedError("a vocabulary is needed to train")
        st = check_settings(model, dim, window, negative, sample, epochs, alpha, min_alpha, seed,
                            optimizer, kernel, keep_unk, lr_schedule, loss)
        w2v = None
        round_, epoch0, chunk0, hist_base, lr0 = 0, 0, 0, 0, None
    _check_corpus(ids, vocab, st)
    if len(ids) and (int(ids.max()) >= len(vocab) or int(ids.min()) < 0):
        raise EmbedError("the id stream has ids outside the vocabulary")
    if w2v is None:
        w2v = _init_model(vocab, st)
    clash = sorted(set(extra_settings or {}) & (set(st) - {"corpus", "vocab_size", "min_count"}))
    if clash:
        raise EmbedError(f"extra_settings may not override training settings: {', '.join(clash)}")
    st.update(extra_settings or {})
    w2v.settings = st
    threads = default_threads() if threads is None else int(threads)

    plan = _Plan(len(ids), st, round_)
    keep = sampling.keep_probabilities(vocab.counts, st["sample"], st["keep_unk"])
    table = sampling.negative_table(vocab.counts, st["keep_unk"])
    layered = (st["optimizer"] != "sgd" or st["lr_schedule"] == "hypergradient"
               or st["loss"] == "softmax")
    state = {"epoch": epoch0, "chunk": chunk0, "corpus_words": len(ids),
             "corpus_crc": fingerprint, "round": round_, "complete": False}
    w2v.state = state
    history = [tuple(r) for r in w2v.history]
    out_dir = Path(out_dir) if out_dir is not None else None

    recent = deque(maxlen=LOSS_WINDOW)
    bar = None
    words_done = plan.words_before(epoch0, chunk0)
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=plan.total, initial=words_done, unit="w", unit_scale=True,
                   desc=f"{st['model']}", dynamic_ncols=True, smoothing=0.1, mininterval=0.5)
    t0, w0 = time.perf_counter(), words_done

    def checkpoint():
        w2v.history = np.asarray(history, dtype=np.float64).reshape(-1, 2)
        if layered_trainer is not None:
            w2v.optimizer_state = layered_trainer.slots()
            if layered_trainer.hyper is not None:
                state["lr"] = layered_trainer.opt.lr
        if out_dir is None:
            return
        if not (np.isfinite(w2v.vectors).all() and np.isfinite(w2v.output).all()):
            raise EmbedError("training diverged: the weights hold NaN/inf (lower --alpha); "
                             f"the last good checkpoint in {out_dir} is kept")
        w2v.save(out_dir)

    layered_trainer = (_Layered(w2v, keep, table, st, plan.alpha(epoch0, chunk0) if lr0 is None
                                else float(lr0)) if layered else None)
    make_run = ((lambda: layered_trainer.run) if layered
                else _fused_runner(w2v, keep, table, st))
    epoch = epoch0
    runner = None
    try:
        for epoch in range(epoch0, st["epochs"]):
            start = chunk0 if epoch == epoch0 else 0
            state.update(epoch=epoch, chunk=start)
            # the layered path is one thread too: Ctrl-C then lands between its chunks
            runner = _Epoch(make_run, ids, plan, epoch, start, 1 if layered else threads)
            for c, raw, trained, loss_sum, nloss, lr in runner.results():
                if not math.isfinite(loss_sum):
                    if runner is not None:
                        runner.stop()
                    where = f"; the last good checkpoint in {out_dir} is kept" if out_dir else ""
                    raise EmbedError(f"training diverged: the loss became {loss_sum} within "
                                     f"the first {words_done + raw:,} words (lower --alpha)"
                                     f"{where}")
                words_done += raw
                recent.append((loss_sum, nloss))
                running = _running_loss(recent)
                history.append((hist_base + words_done, running))
                if bar is not None:
                    bar.update(raw)
                    bar.set_postfix_str(f"epoch {epoch + 1}/{st['epochs']} lr {lr:.5f} "
                                        f"loss {running:.4f}", refresh=False)
                if callback is not None:
                    elapsed = time.perf_counter() - t0
                    callback({"epoch": epoch, "chunk": c, "words": words_done,
                              "total_words": plan.total, "alpha": lr, "loss": running,
                              "words_per_sec": (words_done - w0) / elapsed if elapsed else 0.0})
            runner = None
            state.update(epoch=epoch + 1, chunk=0)
            if epoch + 1 < st["epochs"]:
                checkpoint()
    except KeyboardInterrupt:
        if runner is not None:
            runner.stop()
            state.update(epoch=epoch, chunk=runner.next_chunk)
            # chunks finished after the interrupt are in the weights: put them in the history
            while True:
                try:
                    item = runner.done.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, tuple):
                    words_done += item[1]
                    recent.append((item[3], item[4]))
                    history.append((hist_base + words_done, _running_loss(recent)))
        if bar is not None:
            bar.close()
        checkpoint()
        raise TrainingInterrupted(w2v, out_dir) from None
    except BaseException:
        if runner is not None:
            runner.stop()
        if bar is not None:
            bar.close()
        raise
    if bar is not None:
        bar.close()
    state.update(epoch=st["epochs"], chunk=0, complete=True)
    checkpoint()
    if out_dir is None and not (np.isfinite(w2v.vectors).all() and np.isfinite(w2v.output).all()):
        raise EmbedError("training diverged: the weights hold NaN/inf (lower --alpha)")
    return w2v


def _running_loss(recent) -> float:
    """Mean loss per example over the recent (loss sum, examples) pairs (NaN if none)."""
    den = sum(r[1] for r in recent)
    return sum(r[0] for r in recent) / den if den else float("nan")

