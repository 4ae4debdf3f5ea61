"""A small version of scripts/bench_digits.py: the network core learns a real task."""
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from embed.nn import layers as L
from embed.nn.losses import softmax_cross_entropy
from embed.nn.optimizers import Adam
from embed.nn.preprocessing import fit_scale, one_hot
from embed.nn.training import Trainer


def test_dense_batchnorm_relu_mlp_learns_digits():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X[:900], y[:900], test_size=300, stratify=y[:900],
                                          random_state=0)
    _, Xtr, Xte = fit_scale(Xtr, Xte, kind="standard")
    rng = np.random.default_rng(0)
    net = L.Sequential([L.Dense(64, 48, seed=rng), L.BatchNorm(48), L.ReLU(),
                        L.Dense(48, 10, seed=rng)])
    tr = Trainer(net, softmax_cross_entropy, Adam(3e-3))
    before = tr.accuracy(Xte, yte)
    costs = tr.fit(Xtr.astype(np.float32), one_hot(ytr, categories=range(10), dtype=np.float32),
                   epochs=8, batch_size=32, seed=0)
    acc = tr.accuracy(Xte, yte)
    assert before < 0.4
    assert costs[-1] < 0.25 * costs[0]
    assert acc >= 0.93, acc
