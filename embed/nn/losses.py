"""Losses, each returning (cost, gradient with respect to its input), and L1 / L2 penalties.

- `softmax_cross_entropy(logits, onehot)`: the seed's J(θ) = 1/m Σ D(h(x), L), D the
  cross-entropy between softmax(logits) and the one-hot label.
- `squared_error(pred, target)`: ½ ||pred − target||², averaged over the batch (the ½ makes the
  gradient pred − target).
- `negative_sampling_loss(h, W_out, targets)`: word2vec's logistic loss on one positive and k
  negative output words.
- `hierarchical_softmax_loss(h, W_nodes, points, codes, mask)`: word2vec's logistic loss on
  each inner node of the target word's path in a binary (Huffman) tree.
- `l1_penalty`, `l2_penalty`: the regularisation term added to the cost and its gradient.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .activations import sigmoid, softplus, softplus_scalar
from .sparse import SparseGrad


@njit(cache=True, nogil=True, inline="always")
def logistic_loss_scalar(score, label):
    """-log σ(score) for label 1, -log σ(-score) for label 0: one term of the negative-sampling
    loss, in softplus form so it never takes log(0). Inlined into the word2vec kernels."""
    return softplus_scalar(-score if label > 0 else score)


def _scale(n, reduction):
    if reduction == "sum":
        return 1.0
    if reduction == "mean":
        return 1.0 / n
    raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")


def softmax_cross_entropy(logits, onehot):
    """Mean cross-entropy of softmax(logits) against one-hot (or soft) labels.

    logits, onehot: [m, classes]. Returns (loss, dlogits) with dlogits = (softmax − onehot) / m.
    The log-probabilities are computed as x − max − log Σ e^(x − max), so no exp overflows and no
    log(0) occurs.
    """
    logits = np.asarray(logits)
    m = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z
    loss = float(-(onehot * log_p).sum() / m)
    dlogits = (np.exp(log_p) - onehot) / m
    return loss, dlogits.astype(logits.dtype, copy=False)


def squared_error(pred, target, reduction="mean"):
    """½ Σ (pred − target)², divided by the number of examples (rows) when reduction="mean".

    Returns (loss, dpred) with dpred = (pred − target) [/ m].
    """
    pred = np.asarray(pred)
    diff = pred - target
    scale = _scale(pred.shape[0] if pred.ndim else 1, reduction)
    return float(0.5 * scale * np.sum(diff * diff)), (scale * diff).astype(pred.dtype, copy=False)


def negative_sampling_loss(h, W_out, targets, reduction="sum", mask=None):
    """Skip-gram / CBOW negative-sampling loss (Mikolov et al. 2013).

    h: [n, dim] input (hidden) vectors; W_out: [V, dim] output table; targets: int [n, 1 + k],
    column 0 the positive word (label 1), columns 1.. the sampled negatives (label 0).

        loss = −Σ_i [ log σ(h_i · w_pos) + Σ_neg log σ(−h_i · w_neg) ]

    computed as softplus terms so it never takes log(0). ``mask`` [n, 1 + k] (0 or 1) drops
    targets from the loss (word2vec skips a negative equal to the positive). Returns (loss,
    dh [n, dim], SparseGrad over W_out rows targets.ravel() with values [n (1 + k), dim]);
    reduction="mean" divides all three by n.
    """
    targets = np.asarray(targets)
    if targets.ndim != 2:
        raise ValueError("targets must be [n, 1 + k]: positive first, then negatives")
    labels = np.zeros(targets.shape)
    labels[:, 0] = 1
    return _logistic_rows(h, W_out, targets, labels, mask, reduction)


def hierarchical_softmax_loss(h, W_nodes, points, codes, mask=None, reduction="sum"):
    """Hierarchical-softmax loss (Morin & Bengio 2005; word2vec's -hs): the target word is the
    path from the root of a binary tree to its leaf, one logistic decision per inner node.

    h: [n, dim] input (hidden) vectors; W_nodes: [nodes, dim] the inner nodes' vectors;
    points: int [n, L] the inner nodes on each example's path; codes: [n, L] the branch taken
    at each (0 or 1; the label is 1 − code, as in word2vec); mask [n, L] (0 or 1): 1 on the
    path, 0 past its end (paths shorter than the longest).

        loss = −Σ_i Σ_j mask_ij log σ((1 − 2 codes_ij) h_i · w_{points_ij})

    Returns (loss, dh [n, dim], SparseGrad over W_nodes rows points.ravel() with values
    [n L, dim]); reduction="mean" divides all three by n.
    """
    points = np.asarray(points)
    codes = np.asarray(codes)
    if points.ndim != 2 or codes.shape != points.shape:
        raise ValueError("points and codes must both be [n, path length]")
    return _logistic_rows(h, W_nodes, points, 1 - codes.astype(np.float64), mask, reduction)


def _logistic_rows(h, W, rows, labels, mask, reduction):
    """Σ_ij mask_ij · logistic loss of the score h_i · W[rows_ij] against labels_ij (0/1):
    the binary decisions of negative sampling and hierarchical softmax alike. Returns (loss,
    dh, SparseGrad over W's rows)."""
    n = h.shape[0]
    scale = _scale(n, reduction)
    w = W[rows]                                         # [n, t, dim]
    scores = np.einsum("nd,nkd->nk", h, w)              # [n, t]
    labels = np.asarray(labels, dtype=scores.dtype)
    sign = 2 * labels - 1                               # +1 label 1, −1 label 0
    # −log σ(sign·score) = softplus(−sign·score)
    terms = softplus(-sign * scores)
    dscores = scale * (sigmoid(scores) - labels)        # d loss / d score
    if mask is not None:
        mask = np.asarray(mask, dtype=scores.dtype)
        terms = terms * mask
        dscores = dscores * mask
    loss = float(scale * np.sum(terms, dtype=np.float64))
    dh = np.einsum("nk,nkd->nd", dscores, w)
    dw = (dscores[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1])
    return loss, dh.astype(h.dtype, copy=False), SparseGrad(
        rows=rows.ravel(), values=dw.astype(W.dtype, copy=False))


def _per_array(weights, fn):
    if isinstance(weights, np.ndarray):
        return fn(weights)
    costs, grads = zip(*(fn(w) for w in weights)) if weights else ((), ())
    return float(sum(costs)), list(grads)


def l2_penalty(weights, lam):
    """(λ / 2) Σ w² and its gradient λ w, for one array or a list of arrays (then a list of
    gradients is returned)."""
    return _per_array(weights, lambda w: (0.5 * lam * float(np.sum(w * w)), lam * w))


def l1_penalty(weights, lam):
    """λ Σ |w| and its (sub)gradient λ sign(w) (0 at w = 0), for one array or a list."""
    return _per_array(weights, lambda w: (lam * float(np.sum(np.abs(w))), lam * np.sign(w)))
