"""Optimizers with one interface: `opt.step(params, grads)` updates the parameters in place.

Each optimizer is a small class with explicit per-parameter state (`opt.state[id(param)]`, a dict
of slot arrays of the parameter's shape and dtype, created on the parameter's first step) and a
settable learning rate `opt.lr` (schedules set it between steps).

Dense and sparse gradients take the same path. A parameter is viewed as rows [R, C] (its first
axis; a 1-D parameter is R rows of one value). A dense gradient updates every row; a `SparseGrad`
is first coalesced (repeated rows summed, as the dense gradient would sum them; plain SGD, being
linear, applies repeats one by one instead) and then only those rows of the parameter and of its
state are read and written. Untouched rows keep both their values and their state: for Momentum,
RMSProp, AdaDelta and Adam this is the "lazy" sparse update — an untouched row's moving averages
do not decay on steps where it gets no gradient.

Adam keeps one step count per row, so a row's bias correction 1 − β^t counts the updates that row
has actually received. A row first seen at global step 1000 is corrected as a first step rather
than as the 1000th (which would leave its first update ~10× too small for β1 = 0.9, β2 = 0.999).
With dense gradients every row's count equals the global step, so this is textbook Adam.

The row loops are numba kernels (nogil, so Hogwild-style trainers may call them from threads).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .errors import NNError
from .sparse import SparseGrad

_JIT = dict(cache=True, nogil=True, fastmath=True)


@njit(**_JIT)
def _sgd_rows(p, rows, g, lr):
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(p.shape[1]):
            p[r, j] -= lr * g[i, j]


@njit(**_JIT)
def _momentum_rows(p, rows, g, lr, beta, v):
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(p.shape[1]):
            v[r, j] = beta * v[r, j] + (1.0 - beta) * g[i, j]
            p[r, j] -= lr * v[r, j]


@njit(**_JIT)
def _adagrad_rows(p, rows, g, lr, eps, acc):
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(p.shape[1]):
            gij = g[i, j]
            acc[r, j] += gij * gij
            p[r, j] -= lr * gij / (np.sqrt(acc[r, j]) + eps)


@njit(**_JIT)
def _rmsprop_rows(p, rows, g, lr, rho, eps, sq):
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(p.shape[1]):
            gij = g[i, j]
            sq[r, j] = rho * sq[r, j] + (1.0 - rho) * gij * gij
            p[r, j] -= lr * gij / (np.sqrt(sq[r, j]) + eps)


@njit(**_JIT)
def _adadelta_rows(p, rows, g, lr, rho, eps, sq, dsq):
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(p.shape[1]):
            gij = g[i, j]
            sq[r, j] = rho * sq[r, j] + (1.0 - rho) * gij * gij
            dx = -np.sqrt(dsq[r, j] + eps) / np.sqrt(sq[r, j] + eps) * gij
            dsq[r, j] = rho * dsq[r, j] + (1.0 - rho) * dx * dx
            p[r, j] += lr * dx


@njit(**_JIT)
def _adam_rows(p, rows, g, lr, beta1, beta2, eps, m, v, t):
    last_t, c1, c2 = -1, 1.0, 1.0
    for i in range(rows.shape[0]):
        r = rows[i]
        t[r] += 1
        if t[r] != last_t:  # rows of a dense step share their count: two powers per step
            last_t = t[r]
            c1 = 1.0 - beta1 ** last_t
            c2 = 1.0 - beta2 ** last_t
        for j in range(p.shape[1]):
            gij = g[i, j]
            m[r, j] = beta1 * m[r, j] + (1.0 - beta1) * gij
            v[r, j] = beta2 * v[r, j] + (1.0 - beta2) * gij * gij
            p[r, j] -= lr * (m[r, j] / c1) / (np.sqrt(v[r, j] / c2) + eps)


@njit(**_JIT)
def _coalesce_rows(rows, values):
    """Unique sorted rows and their summed values (what `SparseGrad.coalesce` gives, without
    np.add.at's per-element overhead). A stable sort keeps each row's summation order."""
    order = np.argsort(rows, kind="mergesort")
    n_unique = 0
    for k in range(order.shape[0]):
        if k == 0 or rows[order[k]] != rows[order[k - 1]]:
            n_unique += 1
    out_rows = np.empty(n_unique, dtype=np.int64)
    out = np.zeros((n_unique, values.shape[1]), dtype=values.dtype)
    u = -1
    for k in range(order.shape[0]):
        i = order[k]
        if k == 0 or rows[i] != rows[order[k - 1]]:
            u += 1
            out_rows[u] = rows[i]
        for j in range(values.shape[1]):
            out[u, j] += values[i, j]
    return out_rows, out


def _rows_view(p: np.ndarray) -> np.ndarray:
    """p as a [rows, cols] view sharing its memory (1-D: [n, 1])."""
    if not isinstance(p, np.ndarray) or not p.flags.c_contiguous or not p.flags.writeable:
        raise ValueError("parameters must be writeable C-contiguous numpy arrays")
    return p.reshape(p.shape[0], -1) if p.ndim >= 2 else p.reshape(-1, 1)


class Optimizer:
    """Base class. Subclasses list their state slots in `slots` and implement `_update`."""

    slots: tuple = ()
    # Stateful rules must see each row once with its summed gradient; plain SGD is linear in the
    # gradient, so it may apply repeated rows one after another and skip the sort.
    coalesce = True

    def __init__(self, lr=0.01):
        self.lr = float(lr)
        self.state: dict[int, dict] = {}

    def state_for(self, p: np.ndarray) -> dict:
        """The state dict of parameter `p` (slots as [rows, cols] views), made on first use."""
        st = self.state.get(id(p))
        if st is None or st["param"] is not p:
            # Holding the parameter in its state keeps its id from being reused by another array.
            p2 = _rows_view(p)
            st = {"param": p}
            for name in self.slots:
                # "t" is Adam's per-row step count; every other slot is shaped like the rows.
                st[name] = np.zeros(p2.shape[0], np.int64) if name == "t" else np.zeros_like(p2)
            self.state[id(p)] = st
        return st

    def step(self, params, grads):
        """Apply one update to each parameter from its gradient (ndarray or SparseGrad).

        A gradient of None skips its parameter (e.g. a layer that was not used this step).
        """
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} parameters but {len(grads)} gradients")
        for p, g in zip(params, grads):
            if g is None:
                continue
            p2 = _rows_view(p)
            if isinstance(g, SparseGrad):
                rows = np.ascontiguousarray(g.rows, dtype=np.int64).reshape(-1)
                if rows.size == 0:
                    continue
                if rows.min() < 0 or rows.max() >= p2.shape[0]:
                    raise IndexError(f"sparse gradient row out of range for {p2.shape[0]} rows")
                vals = np.ascontiguousarray(g.values, dtype=p.dtype).reshape(rows.size, p2.shape[1])
                if self.coalesce:
                    rows, vals = _coalesce_rows(rows, vals)
            else:
                if g.shape != p.shape:
                    raise ValueError(f"gradient shape {g.shape} != parameter shape {p.shape}")
                rows = self._all_rows(p2.shape[0])
                vals = np.ascontiguousarray(g, dtype=p.dtype).reshape(p2.shape)
            self._update(p2, rows, vals, self.state_for(p))

    def state_dict(self, params) -> dict[str, np.ndarray]:
        """The optimizer's state as flat arrays, for saving (e.g. ``np.savez``).

        ``params``: the parameters by name (a dict) or position (a list). Returns ``"lr"`` and,
        for every parameter that has taken a step, ``"<name>.<slot>"`` for each slot.
        """
        out = {"lr": np.asarray(self.lr, dtype=np.float64)}
        for name, p in _named(params):
            st = self.state.get(id(p))
            if st is not None and st["param"] is p:
                out.update({f"{name}.{slot}": st[slot] for slot in self.slots})
        return out

    def load_state_dict(self, state: dict, params) -> None:
        """Continue from ``state_dict(params)`` (the same names). A parameter whose slots are
        absent starts fresh; a slot of the wrong shape raises NNError before anything changes."""
        restore = []
        for name, p in _named(params):
            keys = [f"{name}.{slot}" for slot in self.slots]
            present = [k in state for k in keys]
            if not any(present):
                continue
            if not all(present):
                missing = [k for k, ok in zip(keys, present) if not ok]
                raise NNError(f"optimizer state lacks {', '.join(missing)}")
            rows = _rows_view(p).shape[0]
            for slot, key in zip(self.slots, keys):
                want = (rows,) if slot == "t" else _rows_view(p).shape
                got = np.shape(state[key])
                if got != want:
                    raise NNError(f"optimizer state {key} has shape {got}, the parameter "
                                  f"needs {want}")
            restore.append((p, keys))
        for p, keys in restore:
            st = self.state_for(p)
            for slot, key in zip(self.slots, keys):
                st[slot][...] = state[key]
        if "lr" in state:
            self.lr = float(state["lr"])

    def _all_rows(self, n):
        cache = self.__dict__.setdefault("_arange", {})
        if n not in cache:
            cache[n] = np.arange(n, dtype=np.int64)
        return cache[n]

    def _update(self, p, rows, g, st):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in vars(self).items()
                         if not k.startswith(("state", "_")))
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """θ ← θ − lr ∇."""

    coalesce = False

    def _update(self, p, rows, g, st):
        _sgd_rows(p, rows, g, self.lr)


class Momentum(Optimizer):
    """The seed's exponentially weighted momentum: v ← β v + (1 − β) ∇, θ ← θ − lr v."""

    slots = ("v",)

    def __init__(self, lr=0.01, beta=0.9):
        super().__init__(lr)
        self.beta = float(beta)

    def _update(self, p, rows, g, st):
        _momentum_rows(p, rows, g, self.lr, self.beta, st["v"])


class AdaGrad(Optimizer):
    """G ← G + ∇², θ ← θ − lr ∇ / (√G + eps) (Duchi et al. 2011)."""

    slots = ("acc",)

    def __init__(self, lr=0.01, eps=1e-8):
        super().__init__(lr)
        self.eps = float(eps)

    def _update(self, p, rows, g, st):
        _adagrad_rows(p, rows, g, self.lr, self.eps, st["acc"])


class RMSProp(Optimizer):
    """E[∇²] ← ρ E[∇²] + (1 − ρ) ∇², θ ← θ − lr ∇ / (√E[∇²] + eps) (Hinton's lecture 6e)."""

    slots = ("sq",)

    def __init__(self, lr=0.001, rho=0.9, eps=1e-8):
        super().__init__(lr)
        self.rho, self.eps = float(rho), float(eps)

    def _update(self, p, rows, g, st):
        _rmsprop_rows(p, rows, g, self.lr, self.rho, self.eps, st["sq"])


class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012), which needs no learning rate:

        E[∇²] ← ρ E[∇²] + (1 − ρ) ∇²
        Δθ = −√(E[Δθ²] + eps) / √(E[∇²] + eps) · ∇
        E[Δθ²] ← ρ E[Δθ²] + (1 − ρ) Δθ²,  θ ← θ + Δθ

    `lr` is only a multiplier on Δθ, fixed at 1 (the algorithm as published) so that AdaDelta
    shares the common interface; a schedule may still scale it.
    """

    slots = ("sq", "dsq")

    def __init__(self, rho=0.95, eps=1e-6, lr=1.0):
        super().__init__(lr)
        self.rho, self.eps = float(rho), float(eps)

    def _update(self, p, rows, g, st):
        _adadelta_rows(p, rows, g, self.lr, self.rho, self.eps, st["sq"], st["dsq"])


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; per-row step counts (see module notes).

        m ← β1 m + (1 − β1) ∇,  v ← β2 v + (1 − β2) ∇²
        θ ← θ − lr (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + eps)
    """

    slots = ("m", "v", "t")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, p, rows, g, st):
        _adam_rows(p, rows, g, self.lr, self.beta1, self.beta2, self.eps, st["m"], st["v"], st["t"])


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "adagrad": AdaGrad,
    "adadelta": AdaDelta,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def _named(params):
    return params.items() if isinstance(params, dict) else enumerate(params)


def get_optimizer(name: str, **kwargs) -> Optimizer:
    """An optimizer by name ("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam")."""
    try:
        cls = OPTIMIZERS[name.lower()]
    except KeyError:
        raise NNError(
            f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}") from None
    return cls(**kwargs)
