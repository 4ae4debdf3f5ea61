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

import math
from dataclasses import dataclass

import numpy as np

from embed.errors import EmbedError
from embed.nn.losses import negative_sampling_loss

OBJECTIVES = ("analogy+pairs", "analogy", "pairs", "heldout-loss")
HOLDOUT = 0.05
EVAL_WINDOW = 5
EVAL_NEGATIVE = 5
EVAL_SEED = 20160219


def train_options() -> set[str]:
    """What a trial's settings may name: ``TrainSettings``'s fields, and the thread count."""
    from embed.w2v.settings import TrainSettings

    return (set(TrainSettings.names()) - {"chunk_words", "cbow_group"}) | {"threads"}


def _cut_ends(ends, n: int):
    """The sentence ends within the first ``n`` words (the last one ``n``)."""
    if ends is None or (len(ends) and ends[-1] == n):
        return ends
    return np.append(ends[ends < n], np.int64(n))


@dataclass(frozen=True)
class TrainObjective:
    """Train on the cached corpus with a trial's settings and score the vectors.

    ids_path: int32 .npy id stream (memory-mapped by each trial); vocab_path: its vocab.tsv;
    objective: one of OBJECTIVES; analogies / pairs: evaluation files (None: gensim's copies);
    max_words: train on this prefix of the corpus only (None: all of it); ends_path: int64 .npy
    sentence ends of the id stream (None: 10,000-word chunks).
    """

    ids_path: str
    vocab_path: str
    objective: str = "analogy+pairs"
    analogies: str | None = None
    pairs: str | None = None
    max_words: int | None = None
    ends_path: str | None = None

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
        ends = None
        if self.ends_path:
            try:
                ends = np.load(self.ends_path, allow_pickle=False)
            except (OSError, ValueError) as e:
                raise EmbedError(f"cannot read the sentence ends {self.ends_path} ({e})") from None
        if self.max_words:
            ids = ids[: self.max_words]
        return vocab, ids, _cut_ends(ends, len(ids))

    def __call__(self, settings: dict) -> dict:
        from embed.w2v.train import train

        vocab, ids, ends = self.load()
        settings = dict(settings)
        if self.objective == "heldout-loss":
            split = int(len(ids) * (1.0 - HOLDOUT))
            if split < 2 * EVAL_WINDOW + 1 or len(ids) - split < 2 * EVAL_WINDOW + 1:
                raise EmbedError(f"corpus too short to hold out {HOLDOUT:.0%} of it")
            model = train(ids[:split], vocab, ends=_cut_ends(ends, split), progress=False,
                          **settings)
            loss = heldout_loss(model, ids[split:])
            return {"score": -loss, "heldout_loss": loss}
        model = train(ids, vocab, ends=ends, progress=False, **settings)
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
        raise EmbedError("heldout-loss scores negative sampling, and this model has no "
                         "negative-sampling output (hierarchical softmax with --negative 0): "
                         "give the trials negative >= 1 or choose another --objective")
    ids = np.ascontiguousarray(ids, dtype=np.int32)
    counts = np.asarray(model.vocab.counts, dtype=np.float64)
    weights = counts ** 0.75
    weights[0] = 0.0  # UNK is never a negative
    if weights.sum() <= 0:
        raise EmbedError("the vocabulary has no word besides UNK")
    rng = np.random.default_rng(seed)
    negatives = rng.choice(len(counts), size=(len(ids), negative),
                           p=weights / weights.sum()).astype(np.int32)
    w_in = _input_rows(model)
    w_out = np.asarray(model.output, dtype=np.float32)
    cbow = str(model.settings.get("model", "skipgram")) == "cbow"
    total, n = 0.0, 0
    # The loss is the network core's own negative-sampling loss, fed in slices so a large
    # held-out stream never needs all its (input, targets) rows at once.
    for h, targets in (_cbow_examples if cbow else _skipgram_examples)(ids, w_in, negatives,
                                                                      window):
        loss, _, _ = negative_sampling_loss(h, w_out, targets, reduction="sum")
        total += loss
        n += len(targets)
    if n == 0:
        raise EmbedError("the held-out text has no word pair inside the vocabulary")
    return float(total / n)


def _input_rows(model) -> np.ndarray:
    """float32 [V, dim]: each vocabulary id's input vector. A subword model's is the mean of the
    word's own row and its n-gram rows (what its kernels train against), not the own row; UNK
    (never scored) gets zeros when its vectors leave it out."""
    if "ngrams" not in getattr(model, "arrays", {}):
        return np.asarray(model.vectors, dtype=np.float32)
    composed = np.asarray(model.wv.vectors, dtype=np.float32)
    if len(composed) == len(model.vocab):
        return composed
    return np.vstack([np.zeros((1, composed.shape[1]), np.float32), composed])


def _skipgram_examples(ids, w_in, negatives, window, rows=8_192):
    """Each in-vocabulary (centre, context) pair within ``window``: h = the centre's vector,
    targets = [context, the centre position's negatives]."""
    n = len(ids)
    pos = np.arange(n)
    for off in range(-window, window + 1):
        if off == 0:
            continue
        centre = pos[max(0, -off): n - max(0, off)]
        ctx = centre + off
        ok = (ids[centre] != 0) & (ids[ctx] != 0)
        centre, ctx = centre[ok], ctx[ok]
        for a in range(0, len(centre), rows):
            c, o = centre[a:a + rows], ctx[a:a + rows]
            yield w_in[ids[c]], np.column_stack([ids[o], negatives[c]])


def _cbow_examples(ids, w_in, negatives, window, rows=8_192):
    """Each in-vocabulary centre word with at least one in-vocabulary neighbour within
    ``window``: h = the mean of the neighbours' vectors, targets = [centre, its negatives]."""
    n = len(ids)
    for a in range(0, n, rows):
        centre = np.arange(a, min(n, a + rows))
        h = np.zeros((len(centre), w_in.shape[1]), dtype=np.float64)
        m = np.zeros(len(centre))
        for off in range(-window, window + 1):
            ctx = centre + off
            inside = (off != 0) & (ctx >= 0) & (ctx < n)
            ok = np.zeros(len(centre), dtype=bool)
            ok[inside] = ids[ctx[inside]] != 0
            h[ok] += w_in[ids[ctx[ok]]]
            m += ok
        keep = (ids[centre] != 0) & (m > 0)
        if keep.any():
            c = centre[keep]
            yield ((h[keep] / m[keep, None]).astype(np.float32),
                   np.column_stack([ids[c], negatives[c]]))
