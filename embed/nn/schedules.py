"""Learning-rate schedules, usable with any optimizer.

One interface: `schedule.update(grads)` is called once per step with that step's gradients, before
the optimizer steps, and returns the learning rate to use (also kept in `schedule.lr`);
`schedule.apply(optimizer, grads)` does the same and sets `optimizer.lr`. `schedule(t)` gives the
rate a time-based schedule uses at step t (0-based).
"""
from __future__ import annotations

import numpy as np

from .sparse import SparseGrad


class Schedule:
    def __init__(self, lr):
        self.lr = float(lr)
        self.t = 0  # steps taken so far

    def __call__(self, t: int) -> float:
        raise NotImplementedError

    def update(self, grads=None) -> float:
        self.lr = self(self.t)
        self.t += 1
        return self.lr

    def apply(self, optimizer, grads=None) -> float:
        optimizer.lr = self.update(grads)
        return optimizer.lr


class Constant(Schedule):
    """The same rate at every step."""

    def __init__(self, lr):
        super().__init__(lr)
        self.lr0 = float(lr)

    def __call__(self, t):
        return self.lr0


class LinearDecay(Schedule):
    """lr0 at step 0 falling linearly to lr_min at step total_steps, then staying there
    (word2vec's alpha schedule)."""

    def __init__(self, lr0, lr_min=0.0, total_steps=1000):
        if total_steps <= 0:
            raise ValueError("total_steps must be positive")
        super().__init__(lr0)
        self.lr0, self.lr_min, self.total_steps = float(lr0), float(lr_min), int(total_steps)

    def __call__(self, t):
        frac = min(t / self.total_steps, 1.0)
        return self.lr0 + (self.lr_min - self.lr0) * frac


def _coalesced(g):
    """A gradient ready for dot products: dense as float64 copy, sparse as (unique rows, sums)."""
    if isinstance(g, SparseGrad):
        from .optimizers import _coalesce_rows

        values = np.ascontiguousarray(g.values).reshape(len(g.rows), -1)
        return _coalesce_rows(np.ascontiguousarray(g.rows, dtype=np.int64).reshape(-1), values)
    return np.array(g, dtype=np.float64)


def _dot(a, b) -> float:
    """⟨a, b⟩ for two gradients of one parameter as `_coalesced` returns them."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        a = a if isinstance(a, tuple) else (np.arange(len(a)), a.reshape(len(a), -1))
        b = b if isinstance(b, tuple) else (np.arange(len(b)), b.reshape(len(b), -1))
        _, ia, ib = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
        return float(np.sum(a[1][ia].astype(np.float64) * b[1][ib]))
    return float(np.vdot(a, b))


class Hypergradient(Schedule):
    """Hypergradient descent on the learning rate (Baydin et al. 2018, "Online learning rate
    adaptation with hypergradient descent").

    For θ_t = θ_{t−1} − α ∇f(θ_{t−1}), ∂f(θ_t)/∂α = −∇f(θ_t) · ∇f(θ_{t−1}), so a gradient step on
    α is α_t = α_{t−1} + β ∇f(θ_t) · ∇f(θ_{t−1}): the rate grows while successive gradients agree
    and shrinks when they point against each other. This is exact for SGD (HD-SGD) and the
    gradient-only form for other optimizers. The rate is kept ≥ lr_min (default 0) so a noisy
    negative product cannot make the optimizer climb.
    """

    def __init__(self, lr0, beta=1e-4, lr_min=0.0):
        super().__init__(lr0)
        self.beta, self.lr_min = float(beta), float(lr_min)
        self._prev = None

    def __call__(self, t):
        return self.lr

    def update(self, grads=None):
        if grads is None:
            raise ValueError("Hypergradient.update needs the step's gradients")
        grads = [None if g is None else _coalesced(g) for g in grads]
        if self._prev is not None:
            h = sum(_dot(g, p) for g, p in zip(grads, self._prev)
                    if g is not None and p is not None)
            self.lr = max(self.lr + self.beta * h, self.lr_min)
        self._prev = grads
        self.t += 1
        return self.lr
