"""Label encoding and feature scaling. Scaling is scikit-learn's, not a rewrite.

- `one_hot(labels)`: [m] labels of any hashable kind → [m, categories] 0/1 matrix, columns in
  sorted category order (scikit-learn's `OneHotEncoder`).
- `scaler("standard" | "minmax")`: a fresh `StandardScaler` (zero mean, unit variance per
  feature) or `MinMaxScaler` (each feature to [0, 1] by default).
- `fit_scale(X_train, *others, kind=...)`: fit on the training features only and transform
  every array with the same statistics, so no test information leaks into training.
"""
from __future__ import annotations

import numpy as np
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler}


def one_hot(labels, categories=None, dtype=np.float64) -> np.ndarray:
    """One row per label with a single 1 in its category's column.

    `categories`: the full ordered list of categories (default: the sorted distinct labels), so
    a batch that lacks some class still gets every column.
    """
    labels = np.asarray(labels).reshape(-1, 1)
    enc = OneHotEncoder(categories="auto" if categories is None else [list(categories)],
                        sparse_output=False, dtype=dtype)
    return enc.fit_transform(labels)


def scaler(kind="standard", **kwargs):
    """A new scikit-learn scaler: kind "standard" (StandardScaler) or "minmax" (MinMaxScaler)."""
    try:
        return _SCALERS[kind](**kwargs)
    except KeyError:
        raise ValueError(f"kind must be one of {sorted(_SCALERS)}, got {kind!r}") from None


def fit_scale(X_train, *others, kind="standard", **kwargs):
    """Fit a scaler on X_train; return (scaler, X_train scaled, *others scaled)."""
    sc = scaler(kind, **kwargs)
    return (sc, sc.fit_transform(X_train), *(sc.transform(X) for X in others))
