"""Finite-difference gradient checks for layers and losses (use float64 inputs and parameters)."""
from __future__ import annotations

import numpy as np

from .sparse import SparseGrad


def numerical_grad(f, x: np.ndarray, eps=1e-6) -> np.ndarray:
    """Central differences (f(x + eps e_i) − f(x − eps e_i)) / 2 eps of scalar f() w.r.t. each
    element of `x`, which is perturbed in place and restored."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def _dense(g, shape):
    return g.to_dense(shape) if isinstance(g, SparseGrad) else g


def layer_gradient_errors(layer, x, seed=0, eps=1e-6) -> dict:
    """Largest relative error between backward() and finite differences, for the input (when the
    layer returns an input gradient) and every parameter, on the scalar L = Σ r ⊙ layer(x) with a
    fixed random r. Returns {"x": err, "param0": err, ...}."""
    out = layer.forward(x)
    r = np.random.default_rng(seed).standard_normal(out.shape)
    dx = layer.backward(r)
    analytic = {f"param{i}": _dense(g, p.shape).copy()
                for i, (p, g) in enumerate(zip(layer.params(), layer.grads()))}

    def loss():
        return float(np.sum(r * layer.forward(x)))

    errors = {}
    if dx is not None:
        errors["x"] = relative_error(dx, numerical_grad(loss, x, eps))
    for i, p in enumerate(layer.params()):
        errors[f"param{i}"] = relative_error(analytic[f"param{i}"], numerical_grad(loss, p, eps))
    return errors


def relative_error(a, b) -> float:
    """max |a − b| / max(1e-8, max |a| + max |b|)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a)) + np.max(np.abs(b))))
