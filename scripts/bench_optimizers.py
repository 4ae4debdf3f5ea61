"""Choosing the best optimizer: SGD, Momentum, AdaGrad, AdaDelta, RMSProp and Adam compared on

  (a) a softmax classifier  Dense(64, 10) on scikit-learn's digits,
  (b) the MLP               Dense(64, 128) → BatchNorm → ReLU → Dense(128, 10) on digits,
  (c) a small skip-gram     Embedding(V, 50) + negative-sampling loss (5 negatives, window 2) on
                            the first words of a text8-style corpus (--corpus; a synthetic
                            corpus when the file is missing).

Every optimizer starts from the same initial weights and sees the same batches. For (a) and (b)
the metric is test accuracy; for (c) it is the held-out accuracy of telling a true (centre,
context) pair from a sampled negative one (score > 0 ⇔ predicted true), on pairs not trained on.
Learning rates are each optimizer's customary value for the task (AdaDelta has none); --tune
also tries a third and three times each and keeps the lowest final training loss.

Prints a table of final training loss and metric; saves the loss curves as a PNG (-o).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from benchlib import default_corpus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_digits import build_mlp, digits_split  # noqa: E402

from embed.nn import layers as L  # noqa: E402
from embed.nn.losses import negative_sampling_loss, softmax_cross_entropy  # noqa: E402
from embed.nn.optimizers import get_optimizer  # noqa: E402
from embed.nn.preprocessing import one_hot  # noqa: E402
from embed.nn.training import Trainer  # noqa: E402

NAMES = ["sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam"]
LABELS = {"sgd": "SGD", "momentum": "Momentum", "adagrad": "AdaGrad", "adadelta": "AdaDelta",
          "rmsprop": "RMSProp", "adam": "Adam"}
# Learning rates per task (None: AdaDelta, which has no learning rate).
LR = {
    "softmax": {"sgd": 0.1, "momentum": 0.1, "adagrad": 0.1, "rmsprop": 1e-3, "adam": 1e-3},
    "mlp": {"sgd": 0.1, "momentum": 0.1, "adagrad": 0.05, "rmsprop": 1e-3, "adam": 1e-3},
    "skipgram": {"sgd": 0.025, "momentum": 0.025, "adagrad": 0.1, "rmsprop": 3e-3, "adam": 3e-3},
}


def make_opt(name, task, lr=None):
    return get_optimizer(name) if name == "adadelta" else get_optimizer(name, lr=lr)


def run_classifier(task, name, lr, data, epochs, seed):
    Xtr, Xte, ytr, yte = data
    rng = np.random.default_rng(seed)
    model = (L.Sequential([L.Dense(64, 10, seed=rng)]) if task == "softmax"
             else build_mlp(128, seed))
    tr = Trainer(model, softmax_cross_entropy, make_opt(name, task, lr))
    curve = tr.fit(Xtr, one_hot(ytr, categories=range(10), dtype=np.float32), epochs=epochs,
                   batch_size=64, seed=seed, drop_last=True)
    test_loss = softmax_cross_entropy(tr.predict(Xte), one_hot(yte, categories=range(10)))[0]
    return curve, test_loss, tr.accuracy(Xte, yte)


# --- skip-gram -----------------------------------------------------------------------------

def load_words(path, n_words, seed):
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            text = f.read(n_words * 9).decode("ascii", "ignore")
        words = text.split()[:-1][:n_words]
        return words, f"{path} (first {len(words):,} words)"
    # Synthetic: 20 topics of 50 words; each sentence draws its words from one topic.
    rng = np.random.default_rng(seed)
    topics = rng.integers(0, 20, n_words // 10)
    words = [f"w{t * 50 + i}" for t in topics for i in rng.integers(0, 50, 10)]
    return words, f"synthetic topic corpus ({len(words):,} words)"


def skipgram_data(words, vocab_size, window, k, seed):
    """Centre/context id pairs (window `window`, words outside the vocabulary dropped), shuffled,
    and the cumulative unigram^(3/4) distribution negatives are drawn from."""
    uniq, inv, counts = np.unique(np.array(words), return_inverse=True, return_counts=True)
    keep = np.argsort(-counts, kind="stable")[:vocab_size]
    remap = np.full(len(uniq), -1)
    remap[keep] = np.arange(len(keep))
    ids = remap[inv]
    ids = ids[ids >= 0]
    centers, contexts = [], []
    for off in range(1, window + 1):
        centers += [ids[:-off], ids[off:]]
        contexts += [ids[off:], ids[:-off]]
    centers, contexts = np.concatenate(centers), np.concatenate(contexts)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(centers))
    centers, contexts = centers[order], contexts[order]
    p = counts[keep].astype(np.float64) ** 0.75
    return centers, contexts, np.cumsum(p / p.sum()), k


def with_negatives(contexts, cdf, k, rng):
    """targets [n, 1 + k]: the true context, then k fresh unigram^(3/4) negatives."""
    neg = np.searchsorted(cdf, rng.random((len(contexts), k)) * cdf[-1])
    return np.concatenate([contexts[:, None], np.minimum(neg, len(cdf) - 1)], axis=1)


def run_skipgram(name, lr, data, epochs, seed, dim=50, batch=512):
    centers, contexts, cdf, k = data
    V = len(cdf)
    n_val = len(centers) // 10
    val_c = centers[:n_val]
    val_t = with_negatives(contexts[:n_val], cdf, k, np.random.default_rng(seed + 1))
    tr_c, tr_ctx = centers[n_val:], contexts[n_val:]
    rng = np.random.default_rng(seed)
    emb_in = L.Embedding(V, dim, sigma=0.5 / dim, seed=rng)
    W_out = np.zeros((V, dim), dtype=np.float32)  # word2vec starts the output table at zero
    opt = make_opt(name, "skipgram", lr)
    curve, costs = [], []
    per_point = max(1, len(tr_c) // batch // 10)  # ten curve points per epoch
    for _ in range(epochs):
        order = rng.permutation(len(tr_c))
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i:i + batch]
            targets = with_negatives(tr_ctx[idx], cdf, k, rng)  # fresh negatives, as word2vec
            h = emb_in.forward(tr_c[idx])
            loss, dh, g_out = negative_sampling_loss(h, W_out, targets, reduction="sum")
            emb_in.backward(dh)
            opt.step([emb_in.W, W_out], [emb_in.grad, g_out])
            costs.append(loss / len(idx))
            if len(costs) == per_point:
                curve.append(float(np.mean(costs)))
                costs = []
    val_loss = negative_sampling_loss(emb_in.W[val_c], W_out, val_t, reduction="mean")[0]
    scores = np.einsum("nd,nkd->nk", emb_in.W[val_c], W_out[val_t])
    correct = np.concatenate([scores[:, 0] > 0, (scores[:, 1:] < 0).ravel()])
    return curve, val_loss, float(correct.mean())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default="out/optimizers.png")
    ap.add_argument("--epochs", type=int, default=30, help="epochs for the digits tasks")
    ap.add_argument("--sg-epochs", type=int, default=5, help="epochs for skip-gram")
    ap.add_argument("--corpus", default=None,
                    help="text8-format file for the skip-gram task [text8 in the data dir; "
                         "a synthetic corpus if neither exists]")
    ap.add_argument("--words", type=int, default=100_000)
    ap.add_argument("--vocab", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tune", action="store_true",
                    help="try each learning rate x 1/3, 1, 3 and keep the lowest final training "
                         "loss (AdaDelta has no rate to tune)")
    args = ap.parse_args(argv)

    digits = digits_split(args.seed)
    words, source = load_words(args.corpus or default_corpus(), args.words, args.seed)
    sg = skipgram_data(words, args.vocab, window=2, k=5, seed=args.seed)
    print(f"skip-gram data: {source}, vocabulary {len(sg[2])}, {len(sg[0]):,} pairs")

    results = {}
    for task in ("softmax", "mlp", "skipgram"):
        for name in NAMES:
            base = LR[task].get(name)
            grid = [base * f for f in (1 / 3, 1, 3)] if args.tune and base else [base]
            best = None
            for lr in grid:
                t0 = time.perf_counter()
                if task == "skipgram":
                    out = run_skipgram(name, lr, sg, args.sg_epochs, args.seed)
                else:
                    out = run_classifier(task, name, lr, digits, args.epochs, args.seed)
                res = (*out, time.perf_counter() - t0, lr)
                if best is None or res[0][-1] < best[0][-1]:
                    best = res
            results[task, name] = best

    titles = {"softmax": "(a) softmax classifier, digits", "mlp": "(b) MLP with BatchNorm, digits",
              "skipgram": "(c) skip-gram, negative sampling"}
    metric_name = {"softmax": "test acc", "mlp": "test acc", "skipgram": "held-out pair acc"}
    print(f"\nfinal loss = mean training loss of the last epoch; held-out loss on the test "
          f"split (digits) or held-out pairs (skip-gram); seconds per run"
          f"{' (best lr of 3)' if args.tune else ''}")
    print(f"\n{'task':<10} {'optimizer':<10} {'lr':>8} {'final loss':>11} {'held-out':>9} "
          f"{'metric':>8}  {'metric name':<18} {'seconds':>7}")
    for task in titles:
        for name in NAMES:
            curve, val_loss, metric, secs, lr = results[task, name]
            lr = "-" if lr is None else f"{lr:.3g}"
            print(f"{task:<10} {LABELS[name]:<10} {lr:>8} {curve[-1]:>11.4f} {val_loss:>9.4f} "
                  f"{metric:>8.4f}  {metric_name[task]:<18} {secs:>7.2f}")
        best = min(NAMES, key=lambda n: results[task, n][0][-1])
        print(f"{'':<10} lowest final loss: {LABELS[best]}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    for ax, task in zip(axes, titles):
        for name in NAMES:
            curve = results[task, name][0]
            # skip-gram records ten points per epoch; the digits tasks one per epoch
            per_epoch = 10 if task == "skipgram" else 1
            ax.plot(np.arange(1, len(curve) + 1) / per_epoch, curve,
                    label=f"{LABELS[name]} ({results[task, name][2]:.3f})")
        ax.set_yscale("log")
        ax.set_title(titles[task])
        ax.set_xlabel("epoch")
        ax.set_ylabel("mean training loss per example (log)")
        ax.grid(alpha=0.3)
        ax.legend(title=f"optimizer ({metric_name[task]})", fontsize=8)
    fig.tight_layout()
    from embed.atomic import atomic_path

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with atomic_path(args.output) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    print(f"\nloss curves saved to {args.output}")


if __name__ == "__main__":
    main()
