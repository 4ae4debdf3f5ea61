"""Activation functions and their derivatives, numerically stable for any float input.

Every function takes an array `x` of any shape and returns an array of the same shape; the
matching `*_grad(x)` returns the elementwise derivative d f(x) / d x at `x` (for `softmax`, whose
Jacobian is not diagonal, `softmax_backward` gives the vector-Jacobian product instead).
"""
from __future__ import annotations

import numpy as np


def step(x):
    """Heaviside step: 1 where x > 0, else 0."""
    x = np.asarray(x)
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def step_grad(x):
    """The step is flat everywhere it is differentiable (the jump at 0 has no derivative)."""
    x = np.asarray(x)
    return np.zeros_like(x, dtype=x.dtype if x.dtype.kind == "f" else np.float64)


def sigmoid(x):
    """1 / (1 + e^-x), computed from e^-|x| so neither branch overflows for large |x|."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.result_type(x, np.float32))


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
    """log(1 + e^x) as max(x, 0) + log1p(e^-|x|): exact for large |x|, no overflow."""
    x = np.asarray(x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


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
