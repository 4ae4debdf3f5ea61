"""What a trial measures: train word vectors with the proposed settings, score them.

``TrainObjective`` is a small picklable object that holds only paths and options, so it travels
cheaply to a local worker process or a Dask worker. The corpus is encoded once by the master;
each trial memory-maps the cached id array (``np.load(..., mmap_mode="r")``), so all trials on a
machine share one copy through the page cache.

Objectives (higher is better for every one, so all strategies maximise):

- ``analogy+pairs`` (default): the mean of the word-pair Spearman correlation (wordsim353, or
  ``pairs``) and the analogy accuracy (questions-words, or ``analogies``);
- ``analogy`` / ``pairs``: one of the two alone;
- ``heldout-loss``: train on the first 95 % of the corpus, then minus the mean negative-sampling
  loss on the last 5 %: every held-out word predicts its neighbours within 5 positions (skip-gram)
  or is predicted by their mean (CBOW) against 5 negatives per word drawn from unigram^0.75 with a
  fixed seed, so every trial is scored on the same pairs and the same negatives. UNK positions are
  left out. Note that skip-gram and CBOW solve different prediction tasks, so their losses are
  not strictly comparable; search one model at a time with this objective.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from embed.errors import EmbedError

OBJECTIVES = ("analogy+pairs", "analogy", "pairs", "heldout-loss")
HOLDOUT = 0.05
EVAL_WINDOW = 5
EVAL_NEGATIVE = 5
EVAL_SEED = 20160219


def train_options() -> set[str]:
    """The keyword settings ``embed.w2v.train.train`` accepts (what a space may name)."""
    from embed.w2v.train import train

    names = {n for n, p in inspect.signature(train).parameters.items()
             if p.kind == inspect.Parameter.KEYWORD_ONLY}
    return names - {"progress", "callback", "out_dir", "resume", "extra_settings"}


@dataclass(frozen=True)
class TrainObjective:
    """Train on the cached corpus with a trial's settings and score the vectors.

    ids_path: int32 .npy id stream (memory-mapped by each trial); vocab_path: its vocab.tsv;
    objective: one of OBJECTIVES; analogies / pairs: evaluation files (None: gensim's copies);
    max_words: train on this prefix of the corpus only (None: all of it).
    """

    ids_path: str
    vocab_path: str
    objective: str = "analogy+pairs"
    analogies: str | None = None
    pairs: str | None = None
    max_words: int | None = None

    def __post_init__(self):
        if self.objective not in OBJECTIVES:
            raise EmbedError(f"unknown objective {self.objective!r} "
                             f"(choose from {', '.join(OBJECTIVES)})")

    def load(self):
        from embed.data.vocab import Vocabulary

        vocab = Vocabulary.load(self.vocab_path)
        try:
            ids = np.load(self.ids_path, mmap_mode="r")
        except (OSError, ValueError) as e:
            raise EmbedError(f"cannot read the encoded corpus {self.ids_path} ({e})") from None
        if self.max_words:
            ids = ids[: self.max_words]
        return vocab, ids

    def __call__(self, settings: dict) -> dict:
        from embed.w2v.train import train

        vocab, ids = self.load()
        settings = dict(settings)
        if self.objective == "heldout-loss":
            split = int(len(ids) * (1.0 - HOLDOUT))
            if split < 2 * EVAL_WINDOW + 1 or len(ids) - split < 2 * EVAL_WINDOW + 1:
                raise EmbedError(f"corpus too short to hold out {HOLDOUT:.0%} of it")
            model = train(ids[:split], vocab, progress=False, **settings)
            loss = heldout_loss(model, ids[split:])
            return {"score": -loss, "heldout_loss": loss}
        model = train(ids, vocab, progress=False, **settings)
        return self.evaluate(model.wv)

    def evaluate(self, kv) -> dict:
        from embed.evaluate import evaluate_analogies, evaluate_pairs

        out = {}
        parts = []
        if self.objective in ("analogy+pairs", "pairs"):
            p = evaluate_pairs(kv, self.pairs)
            out["spearman"], out["pairs_oov"] = p["spearman"], p["oov"]
            parts.append(p["spearman"] if math.isfinite(p["spearman"]) else 0.0)
        if self.objective in ("analogy+pairs", "analogy"):
            a = evaluate_analogies(kv, self.analogies)
            if not a["total"]:
                raise EmbedError("no analogy question has all four words in the vocabulary")
            out["accuracy"], out["analogy_oov"] = a["accuracy"], a["oov"]
            parts.append(a["accuracy"])
        out["score"] = float(np.mean(parts))
        return out


def heldout_loss(model, ids: np.ndarray, window: int = EVAL_WINDOW,
                 negative: int = EVAL_NEGATIVE, seed: int = EVAL_SEED) -> float:
    """Mean negative-sampling loss (nats per prediction) of ``model`` on the id stream ``ids``.

    model: has ``vectors`` and ``output`` (float32 [V, dim]), ``vocab`` and ``settings['model']``.
    The negatives depend only on ``ids``, the vocabulary counts and ``seed``, never on the model.
    """
    if model.output is None:
        raise EmbedError("the model has no output weights to compute a held-out loss")
    ids = np.ascontiguousarray(ids, dtype=np.int32)
    counts = np.asarray(model.vocab.counts, dtype=np.float64)
    weights = counts ** 0.75
    weights[0] = 0.0  # UNK is never a negative
    if weights.sum() <= 0:
        raise EmbedError("the vocabulary has no word besides UNK")
    rng = np.random.default_rng(seed)
    negatives = rng.choice(len(counts), size=(len(ids), negative),
                           p=weights / weights.sum()).astype(np.int32)
    w_in = np.ascontiguousarray(model.vectors, dtype=np.float32)
    w_out = np.ascontiguousarray(model.output, dtype=np.float32)
    cbow = str(model.settings.get("model", "skipgram")) == "cbow"
    total, n = (_cbow_loss if cbow else _skipgram_loss)(ids, w_in, w_out, negatives, window)
    if n == 0:
        raise EmbedError("the held-out text has no word pair inside the vocabulary")
    return float(total / n)


@njit(cache=True, nogil=True, fastmath=True)
def _log_sigmoid(x):
    # Stable on both sides: log(1 / (1 + e^-x)).
    if x >= 0:
        return -math.log1p(math.exp(-x))
    return x - math.log1p(math.exp(x))


@njit(cache=True, nogil=True, fastmath=True)
def _skipgram_loss(ids, w_in, w_out, negatives, window):
    """Sum over (centre, context) pairs of -log s(v.u_ctx) - sum_k log s(-v.u_neg_k)."""
    n = ids.shape[0]
    dim = w_in.shape[1]
    total = 0.0
    pairs = 0
    for i in range(n):
        c = ids[i]
        if c == 0:
            continue
        for j in range(max(0, i - window), min(n, i + window + 1)):
            o = ids[j]
            if j == i or o == 0:
                continue
            s = 0.0
            for d in range(dim):
                s += w_in[c, d] * w_out[o, d]
            total -= _log_sigmoid(s)
            for k in range(negatives.shape[1]):
                neg = negatives[i, k]
                if neg == o:
                    continue
                s = 0.0
                for d in range(dim):
                    s += w_in[c, d] * w_out[neg, d]
                total -= _log_sigmoid(-s)
            pairs += 1
    return total, pairs


@njit(cache=True, nogil=True, fastmath=True)
def _cbow_loss(ids, w_in, w_out, negatives, window):
    """Sum over centre words of -log s(h.u_c) - sum_k log s(-h.u_neg_k), h = mean context."""
    n = ids.shape[0]
    dim = w_in.shape[1]
    h = np.zeros(dim, dtype=np.float32)
    total = 0.0
    count = 0
    for i in range(n):
        c = ids[i]
        if c == 0:
            continue
        h[:] = 0.0
        m = 0
        for j in range(max(0, i - window), min(n, i + window + 1)):
            o = ids[j]
            if j == i or o == 0:
                continue
            for d in range(dim):
                h[d] += w_in[o, d]
            m += 1
        if m == 0:
            continue
        for d in range(dim):
            h[d] /= m
        s = 0.0
        for d in range(dim):
            s += h[d] * w_out[c, d]
        total -= _log_sigmoid(s)
        for k in range(negatives.shape[1]):
            neg = negatives[i, k]
            if neg == c:
                continue
            s = 0.0
            for d in range(dim):
                s += h[d] * w_out[neg, d]
            total -= _log_sigmoid(-s)
        count += 1
    return total, count
