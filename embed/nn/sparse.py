"""Row-sparse gradients for embedding tables.

An `Embedding` lookup touches only the rows of the ids in the batch, so its gradient is carried as
the touched rows and their gradient values. Duplicate rows are allowed; consumers add them up
(`coalesce`) before applying per-row optimizer state, so a row seen twice gets one update with
the summed gradient, exactly as the dense gradient would give.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SparseGrad:
    rows: np.ndarray    # int array [n]: row indices into the parameter, may repeat
    values: np.ndarray  # [n, *param.shape[1:]]: gradient for each listed row

    def coalesce(self) -> "SparseGrad":
        """Unique sorted rows with their gradients summed."""
        uniq, inverse = np.unique(self.rows, return_inverse=True)
        summed = np.zeros((len(uniq),) + self.values.shape[1:], dtype=self.values.dtype)
        np.add.at(summed, inverse, self.values)
        return SparseGrad(uniq, summed)

    def to_dense(self, shape, dtype=None) -> np.ndarray:
        dense = np.zeros(shape, dtype=dtype or self.values.dtype)
        np.add.at(dense, self.rows, self.values)
        return dense
