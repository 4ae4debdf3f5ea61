"""The held-out objective is the plain negative-sampling loss, checked against a direct loop."""
import math
from types import SimpleNamespace

import numpy as np
import pytest

from embed.data.vocab import Vocabulary
from embed.tune.objective import heldout_loss


def _log_sigmoid(x):
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def _model(kind, seed=0, vocab_size=7, dim=4):
    rng = np.random.default_rng(seed)
    vocab = Vocabulary(["UNK"] + [f"w{i}" for i in range(1, vocab_size)],
                       [3] + list(range(vocab_size - 1, 0, -1)))
    return SimpleNamespace(vectors=rng.normal(size=(vocab_size, dim)).astype(np.float32),
                           output=rng.normal(size=(vocab_size, dim)).astype(np.float32),
                           vocab=vocab, settings={"model": kind})


def _negatives(vocab, n, negative, seed):
    # The objective's own draw: unigram^0.75 without UNK, from a seeded generator.
    w = vocab.counts.astype(np.float64) ** 0.75
    w[0] = 0
    return np.random.default_rng(seed).choice(len(w), size=(n, negative), p=w / w.sum())


def _brute_force(model, ids, window, negative, seed):
    neg = _negatives(model.vocab, len(ids), negative, seed)
    vin, vout = model.vectors.astype(np.float64), model.output.astype(np.float64)
    total, count = 0.0, 0
    for i, c in enumerate(ids):
        if c == 0:
            continue
        ctx = [ids[j] for j in range(max(0, i - window), min(len(ids), i + window + 1))
               if j != i and ids[j] != 0]
        if model.settings["model"] == "cbow":
            if not ctx:
                continue
            preds = [(np.mean([vin[o] for o in ctx], axis=0), c)]
        else:
            preds = [(vin[c], o) for o in ctx]
        for h, pos in preds:
            total -= _log_sigmoid(h @ vout[pos])
            total -= sum(_log_sigmoid(-(h @ vout[k])) for k in neg[i])
            count += 1
    return total / count


@pytest.mark.parametrize("kind", ["skipgram", "cbow"])
def test_heldout_loss_equals_a_direct_loop(kind):
    model = _model(kind)
    ids = np.random.default_rng(1).integers(0, 7, size=60).astype(np.int32)
    got = heldout_loss(model, ids, window=2, negative=3, seed=5)
    assert got == pytest.approx(_brute_force(model, ids, 2, 3, 5), rel=1e-5)


def test_heldout_loss_is_lower_for_vectors_that_fit_the_text():
    # A stream that repeats 1 2 1 2 ... and a vocabulary whose negatives are only words 3-6:
    # vectors where 1 and 2 predict each other and reject 3-6 must score better than random ones.
    ids = np.tile(np.array([1, 2], np.int32), 50)
    fit, random = _model("skipgram"), _model("skipgram")
    fit.vocab = random.vocab = Vocabulary(fit.vocab.words, [0, 0, 0, 4, 3, 2, 1])
    fit.vectors[:] = 0
    fit.output[:] = 0
    fit.vectors[1, 0] = fit.vectors[2, 0] = 3.0
    fit.output[1, 0] = fit.output[2, 0] = 3.0
    fit.output[3:, 0] = -3.0
    assert heldout_loss(fit, ids, window=1, negative=2, seed=0) < \
        heldout_loss(random, ids, window=1, negative=2, seed=0)


def test_heldout_loss_of_a_subword_model_uses_its_composed_vectors():
    # A subword model's input vector for a word is the mean of its own row and its n-gram rows;
    # the own row alone (model.vectors) is not what it was trained to predict with.
    import embed

    words = ["cat", "cats", "dog", "dogs", "catdog"]
    rng = np.random.default_rng(3)
    sentences = [list(rng.choice(words, 8)) for _ in range(200)]
    model = embed.train(sentences, subwords=True, bucket=500, dim=8, epochs=1, threads=1)
    ids = np.random.default_rng(4).integers(1, len(model.vocab), size=50).astype(np.int32)
    composed = np.vstack([np.zeros((1, 8), np.float32), model.wv.vectors])
    assert not np.allclose(composed[1:], model.vectors[1:])
    as_words = SimpleNamespace(vectors=composed, output=model.output, vocab=model.vocab,
                               settings=model.settings)
    got = heldout_loss(model, ids, window=2, negative=3, seed=5)
    assert got == pytest.approx(_brute_force(as_words, ids, 2, 3, 5), rel=1e-5)


def test_heldout_loss_without_negative_sampling_says_why():
    from embed.errors import EmbedError

    model = _model("skipgram")
    model.output = None
    with pytest.raises(EmbedError, match="give the trials negative >= 1"):
        heldout_loss(model, np.arange(1, 7, dtype=np.int32))
