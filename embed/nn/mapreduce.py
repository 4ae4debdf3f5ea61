"""Map-reduce gradients: split a batch into chunks, compute each chunk's gradient in parallel,
and add them up.

For a cost that is a mean of per-example costs, J = (1/m) Σ_i ℓ_i, the gradient is the sum over
chunks of (m_c / m) × (chunk mean gradient), so the parallel result equals the serial one up to
floating-point summation order. (This does not hold for BatchNorm in training mode, whose batch
statistics couple the examples; use eval mode or a model without it.)

Three ways, all giving the same numbers:

- `softmax_regression_grad(X, Y, W, b)`: serial numba kernel (the reference);
- `softmax_regression_grad_prange(X, Y, W, b, n_chunks)`: one numba `prange` over chunks, each
  writing a private gradient buffer, reduced at the end;
- `map_reduce(grad_fn, X, Y, n_chunks, n_workers)`: a thread pool over chunks for any gradient
  function that releases the GIL (numba `nogil` kernels, numpy's BLAS calls); `model_gradients`
  and `ParallelGradients` use it for a whole `Sequential` model, each thread with its own replica
  sharing the weights (`Trainer(..., parallel=ParallelGradients(...))` trains with it).
"""
from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, prange

from .sparse import SparseGrad


def chunk_bounds(m: int, n_chunks: int) -> np.ndarray:
    """n_chunks + 1 boundaries splitting range(m) into near-equal contiguous chunks."""
    n_chunks = max(1, min(int(n_chunks), m))
    return np.linspace(0, m, n_chunks + 1).round().astype(np.int64)


@njit(cache=True, nogil=True, fastmath=True)
def _softmax_grad_chunk(X, Y, W, b, lo, hi, gW, gb):
    """Adds Σ_{i in [lo, hi)} of the cross-entropy gradient into gW [D, C], gb [C]; returns the
    summed cost of those rows."""
    D, C = W.shape
    z = np.empty(C)
    d = np.empty(C)
    loss = 0.0
    for i in range(lo, hi):
        for c in range(C):
            z[c] = b[c]
        for j in range(D):
            xij = X[i, j]
            for c in range(C):
                z[c] += xij * W[j, c]
        zmax = z[0]
        for c in range(1, C):
            zmax = max(zmax, z[c])
        s = 0.0
        ysum = 0.0
        for c in range(C):
            z[c] = np.exp(z[c] - zmax)
            s += z[c]
            ysum += Y[i, c]
        log_s = np.log(s)
        for c in range(C):
            if Y[i, c] != 0.0:
                loss -= Y[i, c] * (np.log(z[c]) - log_s)
            d[c] = z[c] / s * ysum - Y[i, c]   # d cost / d logit
            gb[c] += d[c]
        for j in range(D):  # row j of gW is contiguous: walk it in the inner loop
            xij = X[i, j]
            for c in range(C):
                gW[j, c] += xij * d[c]
    return loss


@njit(cache=True, nogil=True, fastmath=True)
def _softmax_grad_serial(X, Y, W, b):
    gW = np.zeros(W.shape)
    gb = np.zeros(b.shape)
    loss = _softmax_grad_chunk(X, Y, W, b, 0, X.shape[0], gW, gb)
    return loss, gW, gb


@njit(cache=True, nogil=True, fastmath=True, parallel=True)
def _softmax_grad_prange(X, Y, W, b, bounds):
    k = bounds.shape[0] - 1
    gWs = np.zeros((k,) + W.shape)
    gbs = np.zeros((k,) + b.shape)
    losses = np.zeros(k)
    for c in prange(k):
        losses[c] = _softmax_grad_chunk(X, Y, W, b, bounds[c], bounds[c + 1], gWs[c], gbs[c])
    return losses.sum(), gWs.sum(axis=0), gbs.sum(axis=0)


def _mean(m, loss, gW, gb):
    return loss / m, gW / m, gb / m


def softmax_regression_grad(X, Y, W, b):
    """Mean cross-entropy of softmax(X W + b) against one-hot Y, and its gradients, serially.

    X [m, D], Y [m, C], W [D, C], b [C] → (loss, dW [D, C], db [C]), all float64.
    """
    return _mean(len(X), *_softmax_grad_serial(*_prep(X, Y, W, b)))


def softmax_regression_grad_prange(X, Y, W, b, n_chunks=2):
    """Same as `softmax_regression_grad`, chunks computed in a numba prange and summed."""
    X, Y, W, b = _prep(X, Y, W, b)
    return _mean(len(X), *_softmax_grad_prange(X, Y, W, b, chunk_bounds(len(X), n_chunks)))


def softmax_regression_grad_threads(X, Y, W, b, n_chunks=2, n_workers=2, pool=None):
    """Same again, chunks run by a thread pool (the kernel releases the GIL)."""
    X, Y, W, b = _prep(X, Y, W, b)

    def chunk(lo, hi):
        gW, gb = np.zeros(W.shape), np.zeros(b.shape)
        return _softmax_grad_chunk(X, Y, W, b, lo, hi, gW, gb), gW, gb

    loss, (gW, gb) = _run_chunks(chunk, chunk_bounds(len(X), n_chunks), n_workers, pool)
    return _mean(len(X), loss, gW, gb)


def _prep(X, Y, W, b):
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in (X, Y, W, b))


def _run_chunks(fn, bounds, n_workers, pool):
    """Map fn(lo, hi) -> (loss, *grads) over the chunks in a thread pool; reduce by summing."""
    spans = list(zip(bounds[:-1], bounds[1:]))
    if pool is None:
        with ThreadPoolExecutor(n_workers) as own:
            results = list(own.map(lambda s: fn(*s), spans))
    else:
        results = list(pool.map(lambda s: fn(*s), spans))
    loss = sum(r[0] for r in results)
    grads = [_reduce([r[k] for r in results]) for k in range(1, len(results[0]))]
    return loss, grads


def _reduce(parts):
    """Sum of dense gradients; row-sparse gradients are concatenated (their repeats add up
    when an optimizer coalesces them)."""
    if isinstance(parts[0], SparseGrad):
        return SparseGrad(np.concatenate([p.rows for p in parts]),
                          np.concatenate([p.values for p in parts]))
    total = parts[0].copy()
    for p in parts[1:]:
        total += p
    return total


def _scaled(g, w):
    return SparseGrad(g.rows, w * g.values) if isinstance(g, SparseGrad) else w * g


def map_reduce(grad_fn, X, Y, n_chunks=2, n_workers=2, pool=None):
    """Sum of grad_fn over chunks of (X, Y), computed in a thread pool.

    grad_fn(X_chunk, Y_chunk) -> (summed cost, [summed gradient arrays]) — sums, not means, so
    the chunks add up to the whole batch. Returns (cost, [gradients]) summed over all chunks.
    Threads only run in parallel while grad_fn releases the GIL (numba nogil, BLAS).
    """
    def chunk(lo, hi):
        loss, grads = grad_fn(X[lo:hi], Y[lo:hi])
        return (loss, *grads)

    return _run_chunks(chunk, chunk_bounds(len(X), n_chunks), n_workers, pool)


def _layers(model):
    yield model
    for child in getattr(model, "layers", ()):
        yield from _layers(child)
    if hasattr(model, "block"):
        yield from _layers(model.block)


class ParallelGradients:
    """Map-reduce gradients of a model's batch-mean cost, reusable across steps.

    Keeps one replica of `model` per chunk (layers and caches copied, parameter arrays shared, so
    optimizer updates to the model are seen by every replica) and one thread pool.
    `pg(X, Y)` -> (cost, [gradients in model.params() order]), equal to one forward/backward of
    the whole batch within float rounding. Parameters must be updated in place (as every
    `embed.nn` optimizer does); replacing a parameter array needs a new ParallelGradients.
    Models with BatchNorm are refused: its batch statistics couple the chunks.
    """

    def __init__(self, model, loss, n_chunks=2, n_workers=2):
        from .layers import BatchNorm

        if any(isinstance(layer, BatchNorm) for layer in _layers(model)):
            raise ValueError("map-reduce gradients need examples that do not interact; "
                             "BatchNorm's batch statistics couple the chunks")
        self.model, self.loss = model, loss
        self.n_chunks, self.n_workers = int(n_chunks), int(n_workers)
        shared = {id(p): p for p in model.params()}
        self.replicas = [copy.deepcopy(model, memo=dict(shared)) for _ in range(self.n_chunks)]
        self.pool = ThreadPoolExecutor(self.n_workers)

    def __call__(self, X, Y):
        m = len(X)
        bounds = chunk_bounds(m, self.n_chunks)
        replica = {int(lo): r for lo, r in zip(bounds[:-1], self.replicas)}

        def chunk(lo, hi):
            rep = replica[int(lo)]
            cost, dout = self.loss(rep.forward(X[lo:hi]), Y[lo:hi])
            rep.backward(dout)
            w = (hi - lo) / m  # chunk mean → its share of the batch mean
            return (w * cost, *(_scaled(g, w) for g in rep.grads()))

        return _run_chunks(chunk, bounds, self.n_workers, self.pool)

    def close(self):
        self.pool.shutdown()


def model_gradients(model, loss, X, Y, n_chunks=2, n_workers=2):
    """One-off `ParallelGradients(model, loss, n_chunks, n_workers)(X, Y)`: the gradient of the
    batch-mean cost of a model, by chunks in parallel threads."""
    pg = ParallelGradients(model, loss, n_chunks, n_workers)
    try:
        return pg(X, Y)
    finally:
        pg.close()
