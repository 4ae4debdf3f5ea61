"""Benchmark: a small network from embed.nn against scikit-learn's MLPClassifier on digits.

Network: Dense(64, H) → BatchNorm → ReLU → Dense(H, 10) → softmax cross-entropy, trained with
Adam on scikit-learn's bundled 8×8 digits (1,797 images, offline), features standardised by
scikit-learn's StandardScaler fitted on the training split. MLPClassifier gets the same hidden
size, the same split and the same number of epochs, batch size and Adam learning rate.

Both are trained `--repeats` times, interleaved (ours, sklearn, ours, ...); accuracies are those
of the first repeat (training is seeded, so repeats agree), times are medians.
time_ratio = our median training seconds / sklearn's median training seconds (lower is better).

Last line: accuracy=0.NNN sklearn=0.NNN time_ratio=N.NN
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from embed.nn import layers as L
from embed.nn.losses import softmax_cross_entropy
from embed.nn.optimizers import Adam
from embed.nn.preprocessing import fit_scale, one_hot
from embed.nn.training import Trainer


def digits_split(seed=0, test_size=0.25):
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    _, Xtr, Xte = fit_scale(Xtr, Xte, kind="standard")
    return Xtr.astype(np.float32), Xte.astype(np.float32), ytr, yte


def build_mlp(hidden, seed=0, n_in=64, n_out=10):
    rng = np.random.default_rng(seed)
    return L.Sequential([L.Dense(n_in, hidden, seed=rng), L.BatchNorm(hidden), L.ReLU(),
                         L.Dense(hidden, n_out, seed=rng)])


def train_ours(Xtr, ytr, hidden, epochs, batch_size, lr, seed):
    tr = Trainer(build_mlp(hidden, seed), softmax_cross_entropy, Adam(lr))
    t0 = time.perf_counter()
    # drop_last: 1347 % 32 leaves a batch of 3, too few for BatchNorm's statistics
    tr.fit(Xtr, one_hot(ytr, categories=range(10), dtype=np.float32), epochs=epochs,
           batch_size=batch_size, seed=seed, drop_last=True)
    return tr, time.perf_counter() - t0


def train_sklearn(Xtr, ytr, hidden, epochs, batch_size, lr, seed):
    clf = MLPClassifier(hidden_layer_sizes=(hidden,), solver="adam", learning_rate_init=lr,
                        batch_size=batch_size, max_iter=epochs, n_iter_no_change=epochs + 1,
                        random_state=seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(Xtr, ytr)
    return clf, time.perf_counter() - t0


def save_convergence_plot(monitor, path, epochs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from embed.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(7, 4.2))
    monitor.plot(ax, label=f"mean of the last {monitor.k} updates")
    ax.set_yscale("log")
    ax.set_ylabel("cross-entropy cost (log)")
    ax.set_title(f"Dense-BatchNorm-ReLU-Dense on digits, Adam, {epochs} epochs")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    print(f"convergence plot saved to {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plot", default="out/digits_convergence.png",
                    help="convergence plot: cost per update and its mean over the last 50")
    args = ap.parse_args(argv)

    Xtr, Xte, ytr, yte = digits_split(args.seed)
    print(f"digits: {len(Xtr)} train / {len(Xte)} test, hidden={args.hidden}, "
          f"epochs={args.epochs}, batch={args.batch_size}, Adam lr={args.lr}")
    cfg = (args.hidden, args.epochs, args.batch_size, args.lr, args.seed)
    ours_t, sk_t, ours_acc, sk_acc = [], [], None, None
    for r in range(args.repeats):
        tr, t = train_ours(Xtr, ytr, *cfg)
        ours_t.append(t)
        clf, t = train_sklearn(Xtr, ytr, *cfg)
        sk_t.append(t)
        if r == 0:
            ours_acc = tr.accuracy(Xte, yte)
            sk_acc = float(np.mean(clf.predict(Xte) == yte))
            if args.plot:
                save_convergence_plot(tr.monitor, args.plot, args.epochs)
        print(f"  run {r + 1}: ours {ours_t[-1]:.2f} s  sklearn {sk_t[-1]:.2f} s")
    t_ours, t_sk = float(np.median(ours_t)), float(np.median(sk_t))
    print(f"embed.nn  test accuracy {ours_acc:.4f}  median train time {t_ours:.2f} s")
    print(f"sklearn   test accuracy {sk_acc:.4f}  median train time {t_sk:.2f} s")
    print("time_ratio = embed.nn seconds / sklearn MLPClassifier seconds (medians)")
    print(f"accuracy={ours_acc:.3f} sklearn={sk_acc:.3f} time_ratio={t_ours / t_sk:.2f}")


if __name__ == "__main__":
    main()
