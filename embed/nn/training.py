"""Training loops: full-batch gradient descent, stochastic, mini-batch, and online learning.

`Trainer(model, loss, optimizer)` runs the step forward → loss → backward → (penalty) →
(schedule) → optimizer.step. `fit(X, Y, epochs, batch_size)` covers the three batch regimes:

- batch_size=None: full-batch gradient descent, one update per epoch on all m examples;
- batch_size=1: stochastic gradient descent, m updates per epoch;
- batch_size=b: mini-batch gradient descent, ⌈m / b⌉ updates per epoch.

`partial_fit(x, y)` is online learning: one update from the example(s) that just arrived, with no
epoch or data set in sight, so it can be called forever on a stream (`fit_stream`).

A `ConvergenceMonitor` records every update's cost and its average over the last k updates — the
curve to plot to see convergence when single-example costs are noisy.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from .init import as_rng
from .losses import l1_penalty, l2_penalty
from .sparse import SparseGrad


class ConvergenceMonitor:
    """Cost per update and its moving average over the last `k` updates."""

    def __init__(self, k=50):
        if k < 1:
            raise ValueError("k must be >= 1")
        self.k = int(k)
        self.costs: list[float] = []
        self.averages: list[float] = []
        self._window = deque(maxlen=self.k)
        self._sum = 0.0

    def record(self, cost: float) -> float:
        """Add one update's cost; return the average of the last k costs."""
        cost = float(cost)
        if len(self._window) == self.k:
            self._sum -= self._window[0]
        self._window.append(cost)
        self._sum += cost
        self.costs.append(cost)
        avg = self._sum / len(self._window)
        self.averages.append(avg)
        return avg

    @property
    def average(self) -> float:
        return self.averages[-1] if self.averages else float("nan")

    def converged(self, tol=1e-4) -> bool:
        """True once the k-update average has changed by less than tol (relative) over the last
        k updates."""
        if len(self.averages) <= self.k:
            return False
        old, new = self.averages[-1 - self.k], self.averages[-1]
        return abs(old - new) <= tol * max(abs(old), 1e-12)

    def plot(self, ax=None, label=None):
        """Draw the raw costs (faint) and the k-update average on a matplotlib axis."""
        import matplotlib.pyplot as plt

        ax = ax or plt.gca()
        x = np.arange(1, len(self.costs) + 1)
        ax.plot(x, self.costs, alpha=0.3, lw=0.8, label="cost per update")
        ax.plot(x, self.averages, label=label or f"mean of last {self.k}")
        ax.set_xlabel("update")
        ax.set_ylabel("cost")
        return ax


class Trainer:
    """Trains a `Sequential`-like model (forward / backward / params / grads / train / eval).

    loss(output, target) -> (cost, d cost / d output), e.g. `losses.softmax_cross_entropy`.
    l1, l2: penalty strengths on the weight matrices (parameters with ≥ 2 dimensions and dense
    gradients — biases, BatchNorm γ/β and row-sparse embedding tables are not penalised).
    schedule: optional learning-rate schedule, consulted before every update.
    parallel: optional `mapreduce.ParallelGradients` for this model and loss; each batch's
    gradient is then computed by chunks in parallel threads (same result, map-reduce).
    """

    def __init__(self, model, loss, optimizer, schedule=None, l1=0.0, l2=0.0, monitor=None,
                 parallel=None):
        self.model, self.loss, self.optimizer, self.schedule = model, loss, optimizer, schedule
        self.parallel = parallel
        self.l1, self.l2 = float(l1), float(l2)
        self.monitor = monitor if monitor is not None else ConvergenceMonitor()
        self.updates = 0

    def step(self, x, y) -> float:
        """One update on the batch (x, y); returns its cost (penalties included)."""
        self.model.train()
        if self.parallel is not None:
            cost, grads = self.parallel(x, y)
        else:
            out = self.model.forward(x)
            cost, dout = self.loss(out, y)
            self.model.backward(dout)
            grads = list(self.model.grads())
        params = self.model.params()
        if self.l1 or self.l2:
            for i, (p, g) in enumerate(zip(params, grads)):
                if p.ndim < 2 or isinstance(g, SparseGrad) or g is None:
                    continue
                for lam, pen in ((self.l1, l1_penalty), (self.l2, l2_penalty)):
                    if lam:
                        c, dg = pen(p, lam)
                        cost += c
                        g = g + dg.astype(g.dtype, copy=False)
                grads[i] = g
        if self.schedule is not None:
            self.schedule.apply(self.optimizer, grads)
        self.optimizer.step(params, grads)
        self.updates += 1
        self.monitor.record(cost)
        return cost

    def fit(self, X, Y, epochs=1, batch_size=None, shuffle=True, seed=0, drop_last=False):
        """Epochs over (X, Y): batch_size None = full batch, 1 = stochastic, b = mini-batch.

        Examples are reshuffled every epoch (with a seeded generator) unless shuffle=False.
        drop_last skips the final short batch of each epoch (a batch of a few examples gives
        BatchNorm noisy statistics). Returns each epoch's cost: the mean over its updates,
        weighted by batch size, i.e. the mean cost per example seen.
        """
        m = len(X)
        if m == 0 or len(Y) != m:
            raise ValueError(f"fit needs as many targets as examples, at least one; got {m} "
                             f"examples and {len(Y)} targets")
        b = m if batch_size is None else int(batch_size)
        if b < 1:
            raise ValueError("batch_size must be None or >= 1")
        last = m - m % b if drop_last and m >= b else m
        rng = as_rng(seed)
        epoch_costs = []
        for _ in range(epochs):
            order = rng.permutation(m) if shuffle else np.arange(m)
            total = seen = 0
            for i in range(0, last, b):
                idx = order[i:min(i + b, last)]
                total += self.step(X[idx], Y[idx]) * len(idx)
                seen += len(idx)
            epoch_costs.append(total / seen)
        return epoch_costs

    def partial_fit(self, x, y) -> float:
        """Online learning: one update from newly arrived example(s).

        A single example may be passed without its batch axis (x [features], y [outputs]).
        Models with BatchNorm need at least two examples per call in training mode.
        """
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim == 1:
            x, y = x[None], y.reshape(1, -1)
        return self.step(x, y)

    def fit_stream(self, stream, max_updates=None) -> int:
        """partial_fit on every (x, y) an iterable yields, until it ends (or max_updates).
        Returns the number of updates made."""
        n = 0
        for x, y in stream:
            if max_updates is not None and n >= max_updates:
                break
            self.partial_fit(x, y)
            n += 1
        return n

    def predict(self, X):
        """Model output in eval mode (BatchNorm uses its running statistics)."""
        self.model.eval()
        try:
            return self.model.forward(X)
        finally:
            self.model.train()

    def accuracy(self, X, labels) -> float:
        """Fraction of rows whose arg-max output equals the integer label."""
        return float(np.mean(np.argmax(self.predict(X), axis=1) == np.asarray(labels)))
