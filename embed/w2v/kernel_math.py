"""Scalar helpers shared by the training kernels (inlined by numba into each kernel)."""
from __future__ import annotations

import numpy as np
from numba import njit

# Beyond |x| = 12 the logistic is 1 or 0 to float32 precision; clipping keeps exp() finite, which
# fastmath assumes.
_CLIP = np.float32(12.0)
_ONE = np.float32(1.0)


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def sigmoid(x):
    if x > _CLIP:
        x = _CLIP
    elif x < -_CLIP:
        x = -_CLIP
    return _ONE / (_ONE + np.exp(-x))


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def logistic_loss(score, label):
    """-log sigmoid(score) for label 1, -log sigmoid(-score) for label 0 (softplus form)."""
    z = -score if label > 0 else score
    if z > _CLIP:
        return z
    if z < -_CLIP:
        z = -_CLIP
    return np.log1p(np.exp(z))

