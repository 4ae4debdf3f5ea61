"""Tiny corpora and models made by Facebook's fastText (the `fasttext` package) for the
subword tests: ASCII, accented, Cyrillic and CJK words, with a Zipf-like spread of counts so
that fastText's subsampling keeps enough words to train on."""
from __future__ import annotations

import random
from pathlib import Path

BASE = ["the", "cat", "café", "naïve", "москва", "кошка", "東京", "日本語", "a", "ab", "über",
        "straße", "señor", "dog", "sat"]
LETTERS = "abcdefghijklmnoprstuvyzéüжщы東京語"
# words no tiny model has seen: ASCII, accented, Cyrillic, CJK, emoji, short ones
OOV = ["unseen", "cafés", "naïveté", "москвы", "кошки", "東京都", "日本", "😀ok", "x", "ab's",
       "zz"]


def corpus_words(seed: int = 0, n_vocab: int = 300) -> list[str]:
    rng = random.Random(seed)
    extra = ["".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 9)))
             for _ in range(n_vocab)]
    return list(dict.fromkeys(BASE + extra))


def write_corpus(path: Path, seed: int = 0, lines: int = 300, per_line: int = 15,
                 labels: bool = False) -> Path:
    """`lines` lines of Zipf-distributed words (with a ``__label__`` first when `labels`)."""
    rng = random.Random(seed)
    vocab = corpus_words(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(lines):
            words = [vocab[min(int(rng.paretovariate(1.0)) - 1, len(vocab) - 1)]
                     for _ in range(per_line)]
            head = [f"__label__{'ab'[i % 2]}"] if labels else []
            f.write(" ".join(head + words) + "\n")
    return path


# fastText fills its input matrix in 10 fixed blocks, one per thread (DenseMatrix::uniform):
# with fewer than 10 threads the rest of a small matrix is whatever the heap held, which made
# training fail with "Encountered NaN" after other tests had run. Ten threads fill all of it.
THREADS = 10


def train_tiny(tmp: Path, name: str = "tiny", **kw):
    """Train fastText's skip-gram (dim 10, 1 epoch, minCount 1, bucket 2000) on a corpus
    written in `tmp`; returns (model, path of its .bin). `kw` overrides settings."""
    import fasttext

    corpus = write_corpus(tmp / f"{name}.txt")
    settings = dict(dim=10, epoch=1, minCount=1, bucket=2000, thread=THREADS, verbose=0)
    settings.update(kw)
    model = fasttext.train_unsupervised(str(corpus), **settings)
    path = tmp / f"{name}.bin"
    model.save_model(str(path))
    return model, path


def train_classifier(tmp: Path, name: str = "clf", **kw):
    """fastText's classifier (labels in the dictionary, an output row per label)."""
    import fasttext

    corpus = write_corpus(tmp / f"{name}.txt", labels=True)
    settings = dict(dim=10, epoch=1, minCount=1, bucket=2000, thread=THREADS, verbose=0)
    settings.update(kw)
    model = fasttext.train_supervised(str(corpus), **settings)
    path = tmp / f"{name}.bin"
    model.save_model(str(path))
    return model, path, corpus
