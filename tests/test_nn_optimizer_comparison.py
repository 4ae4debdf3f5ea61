"""Small versions of scripts/bench_optimizers.py: every optimizer trains every kind of model."""
import numpy as np
import pytest

from embed.nn import layers as L
from embed.nn.losses import negative_sampling_loss, softmax_cross_entropy
from embed.nn.optimizers import OPTIMIZERS, get_optimizer
from embed.nn.training import Trainer

LR = {"sgd": 0.5, "momentum": 0.5, "adagrad": 0.3, "adadelta": None, "rmsprop": 0.01,
      "adam": 0.01}


def _opt(name, scale=1.0):
    return get_optimizer(name) if LR[name] is None else get_optimizer(name, lr=LR[name] * scale)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_trains_a_softmax_classifier(name):
    rng = np.random.default_rng(0)
    W_true = rng.standard_normal((5, 3))
    X = rng.standard_normal((200, 5))
    y = np.argmax(X @ W_true, axis=1)
    tr = Trainer(L.Sequential([L.Dense(5, 3, seed=1, dtype=np.float64)]), softmax_cross_entropy,
                 _opt(name))
    costs = tr.fit(X, np.eye(3)[y], epochs=20, batch_size=20, seed=0)
    assert costs[-1] < 0.6 * costs[0], costs
    assert tr.accuracy(X, y) > 0.85


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_trains_a_tiny_skipgram(name):
    # Two "topics": words 0-9 co-occur with each other, words 10-19 with each other.
    rng = np.random.default_rng(1)
    topic = rng.integers(0, 2, 3000)
    centers = topic * 10 + rng.integers(0, 10, 3000)
    contexts = topic * 10 + rng.integers(0, 10, 3000)
    emb = L.Embedding(20, 8, sigma=0.1, seed=2, dtype=np.float64)
    W_out = np.zeros((20, 8))
    opt = _opt(name, scale=0.1 if name in ("sgd", "momentum") else 1.0)
    val = np.concatenate([contexts[:200, None], rng.integers(0, 20, (200, 3))], axis=1)

    def val_loss():
        return negative_sampling_loss(emb.W[centers[:200]], W_out, val, reduction="mean")[0]

    before = val_loss()
    for _ in range(3):
        for i in range(200, 3000, 50):
            targets = np.concatenate([contexts[i:i + 50, None], rng.integers(0, 20, (50, 3))], 1)
            h = emb.forward(centers[i:i + 50])
            _, dh, g_out = negative_sampling_loss(h, W_out, targets)
            emb.backward(dh)
            opt.step([emb.W, W_out], [emb.grad, g_out])
    assert val_loss() < 0.9 * before
    # Same-topic words end up more similar than cross-topic ones.
    Wn = emb.W / np.linalg.norm(emb.W, axis=1, keepdims=True)
    sim = Wn @ Wn.T
    same = (sim[:10, :10].sum() - 10) / 90
    assert same > sim[:10, 10:].mean() + 0.2
