"""Activation functions and their derivatives, numerically stable for any float input.

Every function takes an array `x` of any shape and returns an array of the same shape; the
matching `*_grad(x)` returns the elementwise derivative d f(x) / d x at `x` (for `softmax`, whose
Jacobian is not diagonal, `softmax_backward` gives the vector-Jacobian product instead).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


# ---- scalar forms, inlined into the word2vec kernels and mapped over arrays below ----------------
# float32 constants keep float32 arithmetic float32 inside the kernels (a Python 1.0 would promote
# every score to float64); with float64 input they promote to float64 as usual.

@njit(cache=True, nogil=True, inline="always")
def sigmoid_scalar(x):
    """1 / (1 + e^-x) for one number, from e = e^-|x| in (0, 1] (never overflows): 1 / (1 + e)
    for x >= 0, e / (1 + e) below. The sign only selects between the two, with no branch
    around the exp: the kernels' scores change sign at random, and the mispredicted branch
    cost hierarchical softmax a third of its time."""
    e = np.exp(-abs(x))
    r = _ONE / (_ONE + e)
    return r if x >= _ZERO else e * r


@njit(cache=True, nogil=True, inline="always")
def softplus_scalar(x):
    """log(1 + e^x) for one number, as max(x, 0) + log1p(e^-|x|)."""
    return max(x, _ZERO) + np.log1p(np.exp(-abs(x)))


@njit(cache=True, nogil=True)
def _sigmoid_flat(x, out):
    for i in range(x.shape[0]):
        out[i] = sigmoid_scalar(x[i])


@njit(cache=True, nogil=True)
def _softplus_flat(x, out):
    for i in range(x.shape[0]):
        out[i] = softplus_scalar(x[i])


def _map(flat_kernel, x):
    x = np.asarray(x)
    x = np.ascontiguousarray(x, dtype=np.result_type(x, np.float32))
    out = np.empty_like(x)
    flat_kernel(x.reshape(-1), out.reshape(-1))
    return out


def step(x):
    """Heaviside step: 1 where x > 0, else 0."""
    x = np.asarray(x)
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def step_grad(x):
    """The step is flat everywhere it is differentiable (the jump at 0 has no derivative)."""
    x = np.asarray(x)
    return np.zeros_like(x, dtype=x.dtype if x.dtype.kind == "f" else np.float64)


def sigmoid(x):
    """1 / (1 + e^-x) elementwise (`sigmoid_scalar`, the kernels' own, over the array)."""
    return _map(_sigmoid_flat, x)


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    return np.tanh(x)


def tanh_grad(x):
    t = np.tanh(x)
    return 1.0 - t * t


def relu(x):
    return np.maximum(x, 0)


def relu_grad(x):
    """1 where x > 0, else 0 (the subgradient 0 is taken at x = 0)."""
    x = np.asarray(x)
    return (x > 0).astype(np.result_type(x, np.float32))


def softplus(x):
    """log(1 + e^x) elementwise as max(x, 0) + log1p(e^-|x|): exact for large |x|, no overflow."""
    return _map(_softplus_flat, x)


def softplus_grad(x):
    """d softplus / dx is the sigmoid."""
    return sigmoid(x)


def softmax(x, axis=-1):
    """e^x / Σ e^x along `axis`, shifted by the maximum so the exponentials never overflow."""
    x = np.asarray(x)
    z = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return z / np.sum(z, axis=axis, keepdims=True)


def softmax_backward(s, grad_out, axis=-1):
    """Vector-Jacobian product of softmax: given s = softmax(x) and dL/ds, return dL/dx.

    The Jacobian is diag(s) - s sᵀ, so dL/dx = s * (g - Σ g s) along `axis`.
    """
    return s * (grad_out - np.sum(grad_out * s, axis=axis, keepdims=True))


def softmax_grad(x, axis=-1):
    """The diagonal of the softmax Jacobian, s (1 - s): the derivative of each output with
    respect to its own input. Use `softmax_backward` to back-propagate a full gradient."""
    s = softmax(x, axis=axis)
    return s * (1.0 - s)


#: name -> (function, derivative) for the elementwise activations.
ACTIVATIONS = {
    "step": (step, step_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "softplus": (softplus, softplus_grad),
}
