"""Weight initialisation: Gaussian with mean 0 and a chosen standard deviation, seeded."""
from __future__ import annotations

import numpy as np


def as_rng(seed) -> np.random.Generator:
    """A numpy Generator from an int seed, None (fresh entropy) or an existing Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def gaussian(shape, sigma=0.01, seed=None, dtype=np.float32) -> np.ndarray:
    """Array of `shape` drawn from N(0, sigma²); the same seed gives the same array."""
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    w = as_rng(seed).standard_normal(shape) * sigma
    return np.ascontiguousarray(w, dtype=dtype)


class Gaussian:
    """Initializer object: `Gaussian(sigma, seed)(shape)` draws N(0, sigma²) weights.

    Repeated calls continue the same random stream, so two layers built from one initializer get
    different (but reproducible) weights.
    """

    def __init__(self, sigma=0.01, seed=None):
        self.sigma = float(sigma)
        self.rng = as_rng(seed)

    def __call__(self, shape, dtype=np.float32) -> np.ndarray:
        return gaussian(shape, self.sigma, self.rng, dtype)


def he_sigma(fan_in: int) -> float:
    """σ = sqrt(2 / fan_in), the scale that keeps ReLU activations' variance constant."""
    return float(np.sqrt(2.0 / fan_in))
