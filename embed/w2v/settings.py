"""The training settings of one run: one frozen object, validated in one place.

``TrainSettings`` is what `embed train`, `embed.w2v.train.train`, ``--resume``, `embed tune`
and the benchmarks pass around and what ``settings.json`` stores. Its fields are the names a
search space may use; the CLI's choices come from the tuples below.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from embed.errors import EmbedError

MODELS = ("skipgram", "cbow")
KERNELS = ("batched", "classic")
SCHEDULES = ("linear", "constant", "hypergradient")
LOSSES = ("negative", "softmax")
OPTIMIZER_NAMES = ("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam")
DEFAULT_ALPHA = {"skipgram": 0.025, "cbow": 0.05}  # word2vec.c's
# Learning rates that suit each optimizer when no alpha is given (SGD: word2vec.c's).
OPTIMIZER_ALPHA = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01, "adadelta": 1.0}
CHUNK_WORDS = 10_000    # corpus words per kernel call (gensim's and word2vec.c's sentence cap)
CONTEXT_ROWS = ("shared", "window")   # see embed.w2v.window_rows
CBOW_GROUP = 6          # CBOW centre words (one window span apart) sharing one set of negatives
# Subword skip-gram: contexts of a centre word sharing one set of negatives (1: fastText's
# negatives per pair). On the bench corpus (5 epochs, alpha 0.025) 3 kept every score within
# 0.01 of gensim's FastText at ~1.7x the speed of per-pair negatives; 5 lost ~0.02 analogy
# accuracy, 10 (one set per centre) 0.03.
NEG_SHARE = 3
# Upper bounds that catch a typo before it allocates gigabytes or runs for days.
MAX_DIM = 10_000
MAX_WINDOW = 10_000
MAX_NEGATIVE = 1_000
MAX_EPOCHS = 100_000
MAX_SEED = 2 ** 32 - 1
# fastText's character n-gram defaults, taken when n-grams are asked for without a value
DEFAULT_MINN, DEFAULT_MAXN, DEFAULT_BUCKET = 3, 6, 2_000_000
# Settings a model saved before they existed lacks: their defaults are what it was trained with.
OPTIONAL = ("chunk_words", "cbow_group", "context_rows", "hs", "minn", "maxn", "bucket",
            "neg_share")


def ngram_settings(subwords: bool = False, minn=None, maxn=None, bucket=None) -> dict:
    """The n-gram fields asked for by `--subwords` / `--minn` / `--maxn` / `--bucket` (or
    their Python keywords): fastText's defaults for those not given once any is, as fastText
    and gensim's FastText have n-grams unless told otherwise; none at all: a word model."""
    if not (subwords or any(v is not None for v in (minn, maxn, bucket))):
        return {}
    maxn = DEFAULT_MAXN if maxn is None else maxn
    if bucket is None:
        bucket = DEFAULT_BUCKET if _is_number(maxn) and maxn > 0 else 0
    return {"maxn": maxn, "bucket": bucket, **({"minn": minn} if minn is not None else {})}


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides what a training run computes (not how fast: threads are not
    here). ``alpha`` / ``min_alpha`` left as None get their defaults (by model and optimizer;
    alpha * 1e-4). Invalid values raise EmbedError naming the setting.

    Subwords (fastText's model): ``maxn > 0`` gives every word the character n-grams of
    ``<word>`` of ``minn..maxn`` characters, hashed into ``bucket`` rows (default 2,000,000
    then); ``maxn == 0``, the default, is a word model (fastText's ``-maxn 0``), whose bucket is
    0."""

    model: str = "skipgram"
    dim: int = 100
    window: int = 5
    negative: int = 5
    sample: float = 1e-3
    epochs: int = 5
    alpha: float | None = None
    min_alpha: float | None = None
    seed: int = 1
    optimizer: str = "sgd"
    kernel: str = "batched"
    keep_unk: bool = False
    hs: bool = False        # hierarchical softmax (a Huffman tree), alone or beside negatives
    lr_schedule: str = "linear"
    loss: str = "negative"
    # the chunking of the run: a resumed run keeps its own so its saved position means the same
    chunk_words: int = CHUNK_WORDS
    cbow_group: int = CBOW_GROUP
    # "window": the batched kernels hold context rows per thread while they are in a window
    # (fewer writes to shared rows with many threads; embed.w2v.window_rows)
    context_rows: str = "shared"
    minn: int = DEFAULT_MINN
    maxn: int = 0
    bucket: int | None = None
    neg_share: int = NEG_SHARE

    def __post_init__(self):
        _choice("model", self.model, MODELS)
        _choice("kernel", self.kernel, KERNELS)
        _choice("lr-schedule", self.lr_schedule, SCHEDULES)
        _choice("loss", self.loss, LOSSES)
        _choice("context-rows", self.context_rows, CONTEXT_ROWS)
        optimizer = str(self.optimizer).lower()
        _choice("optimizer", optimizer, OPTIMIZER_NAMES)
        for name in ("keep_unk", "hs"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise EmbedError(f"{_flag(name)} must be true or false, got "
                                 f"{getattr(self, name)!r}")
        self._check_output_layer()
        no_negatives = 0 if self.hs or self.loss == "softmax" else 1
        for name, low, high in (("dim", 1, MAX_DIM), ("window", 1, MAX_WINDOW),
                                ("epochs", 1, MAX_EPOCHS),
                                ("negative", no_negatives, MAX_NEGATIVE),
                                ("seed", 0, MAX_SEED), ("chunk_words", 1, None),
                                ("cbow_group", 1, 64), ("neg_share", 1, 10)):
            _integer(name, getattr(self, name), low, high)
        for name in ("alpha", "min_alpha", "sample"):
            value = getattr(self, name)
            if value is not None and not _is_number(value):
                raise EmbedError(f"{_flag(name)} must be a number, got {value!r}")
        alpha = self.alpha
        if alpha is None:
            alpha = OPTIMIZER_ALPHA.get(optimizer, DEFAULT_ALPHA[self.model])
        min_alpha = alpha * 1e-4 if self.min_alpha is None else self.min_alpha
        if not (alpha > 0 and math.isfinite(alpha)):
            raise EmbedError(f"alpha must be a positive number, got {alpha}")
        if not (0 <= min_alpha <= alpha):
            raise EmbedError(f"min-alpha must be between 0 and alpha ({alpha}), got {min_alpha}")
        if not (self.sample >= 0 and math.isfinite(self.sample)):
            raise EmbedError(f"sample must be >= 0, got {self.sample}")
        bucket = self._check_ngrams()
        fixed = dict(optimizer=optimizer, alpha=float(alpha), min_alpha=float(min_alpha),
                     sample=float(self.sample), keep_unk=bool(self.keep_unk), hs=bool(self.hs),
                     bucket=bucket,
                     **{f.name: int(getattr(self, f.name)) for f in dataclasses.fields(self)
                        if f.type == "int"})
        for name, value in fixed.items():
            object.__setattr__(self, name, value)
        if self.context_rows == "window" and (self.kernel != "batched" or self.layered
                                              or self.subwords):
            raise EmbedError("context-rows window is an option of the batched word kernels "
                             "with plain SGD (kernel batched, optimizer sgd, a linear or "
                             "constant rate, negative sampling or hierarchical softmax, no "
                             "subwords)")

    def _check_ngrams(self) -> int:
        """The bucket count after validating the n-gram settings (fastText's rules, one line
        each; see `embed.subwords.ngrams.check_ngram_settings`)."""
        from embed.subwords.ngrams import check_ngram_settings

        for name in ("minn", "maxn"):
            _integer(name, getattr(self, name), 0, 1_000)
        bucket = self.bucket
        if bucket is None:
            bucket = DEFAULT_BUCKET if self.maxn > 0 else 0
        _integer("bucket", bucket, 0, None)
        bucket = int(bucket)
        if self.maxn == 0 and bucket:
            raise EmbedError(f"bucket {bucket:,} with maxn 0: a word model has no n-grams to "
                             "hash into buckets (give --maxn N, or no --bucket)")
        check_ngram_settings(int(self.minn), int(self.maxn), bucket)
        if self.maxn > 0 and self.kernel != "batched":
            raise EmbedError(f"subword models have one kernel; --kernel {self.kernel} is for "
                             "word models")
        if self.maxn > 0 and (self.hs or self.loss == "softmax"):
            raise EmbedError("subword models train with negative sampling; --hs and --loss "
                             "softmax are for word models")
        return bucket

    @property
    def subwords(self) -> bool:
        """Whether words are trained with their character n-grams (fastText's model)."""
        return self.maxn > 0

    def _check_output_layer(self) -> None:
        """Negative sampling, hierarchical softmax or both (word2vec.c trains both when given
        both); the full-softmax cross-check alone."""
        if self.loss == "softmax" and self.hs:
            raise EmbedError("--hs and --loss softmax are two output layers; choose one")
        if self.loss == "negative" and _is_number(self.negative) and self.negative == 0 \
                and not self.hs:
            raise EmbedError("--negative 0 leaves no output layer: add --hs (hierarchical "
                             "softmax) or give --negative 1 or more")
        if self.hs and self.kernel != "batched":
            raise EmbedError(f"--hs trains with the batched kernels; --kernel {self.kernel} "
                             "has negative sampling only")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The setting names (a search space or settings.json uses them)."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @property
    def layered(self) -> bool:
        """Whether the run needs the layered embed.nn path (the fused kernels do plain SGD on
        the negative-sampling and hierarchical-softmax losses with a linear or constant
        rate)."""
        return (self.optimizer != "sgd" or self.lr_schedule == "hypergradient"
                or self.loss == "softmax")

    @property
    def output_table(self) -> bool:
        """Whether the run has the [V, dim] output table: negative sampling's (or the
        full-softmax cross-check's). Hierarchical softmax alone has only its node table."""
        return self.negative > 0 or self.loss == "softmax"

    def replace(self, **changes) -> "TrainSettings":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, saved: dict, where: str = "settings") -> "TrainSettings":
        """The settings stored in ``saved`` (a settings.json), validated like new ones: a
        hand-edited or damaged file is a one-line error naming ``where``. Other keys (the
        corpus, vocabulary settings) are ignored."""
        if not isinstance(saved, dict):
            raise EmbedError(f"{where}: the saved settings are not a JSON object")
        required = [f.name for f in dataclasses.fields(cls) if f.name not in OPTIONAL]
        missing = [k for k in required if k not in saved]
        if missing:
            raise EmbedError(f"{where}: the saved settings lack {', '.join(missing)}")
        try:
            return cls(**{k: saved[k] for k in cls.names() if k in saved})
        except EmbedError as e:
            raise EmbedError(f"{where}: bad saved settings: {e}") from None


def _flag(name: str) -> str:
    return name.replace("_", "-")


def _choice(name, value, choices) -> None:
    if value not in choices:
        raise EmbedError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")


def _integer(name, value, low, high) -> None:
    """An integer (or a float with an integer value, as a search space may give) in range."""
    ok = (not isinstance(value, (bool, np.bool_))
          and (isinstance(value, (int, np.integer))
               or (isinstance(value, (float, np.floating)) and math.isfinite(value)
                   and value == int(value))))
    if not ok or value < low or (high is not None and value > high):
        bound = f"between {low} and {high:,}" if high is not None else f">= {low}"
        raise EmbedError(f"{_flag(name)} must be an integer {bound}, got {value!r}")


def _is_number(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))
