"""What a run reports while it trains: the running loss, the loss history, a progress bar, the
caller's callback, and the checks that stop a diverging run."""
from __future__ import annotations

import math
import time
from collections import deque

import numpy as np

from embed.errors import EmbedError
from embed.w2v.hogwild import ChunkResult
from embed.w2v.schedule import Schedule

LOSS_WINDOW = 50        # chunks averaged into the running loss (~500 k words)


class Monitor:
    """Collects chunk results in the main thread. ``history`` rows are (words processed, running
    loss), only where a loss was measured (a tiny corpus may give none)."""

    def __init__(self, schedule: Schedule, words_done: int, history, history_base: int,
                 progress: bool, callback=None, out_dir=None):
        self.schedule = schedule
        self.words_done = words_done
        self.history = [tuple(r) for r in history]
        self.base = history_base
        self.callback = callback
        self.out_dir = out_dir
        self.recent: deque = deque(maxlen=LOSS_WINDOW)
        self.measured = False
        self.t0, self.w0 = time.perf_counter(), words_done
        self.bar = None
        if progress:
            from tqdm import tqdm

            st = schedule.settings
            self.bar = tqdm(total=schedule.total, initial=words_done, unit="w", unit_scale=True,
                            desc=st.model, dynamic_ncols=True, smoothing=0.1, mininterval=0.5)

    def running_loss(self) -> float:
        """Mean loss per example over the recent chunks (NaN if none was measured)."""
        den = sum(r[1] for r in self.recent)
        return sum(r[0] for r in self.recent) / den if den else float("nan")

    def add(self, epoch: int, r: ChunkResult) -> None:
        if not math.isfinite(r.loss):
            where = (f"; the last good checkpoint in {self.out_dir} is kept"
                     if self.out_dir else "")
            raise EmbedError(f"training diverged: the loss became {r.loss} within the first "
                             f"{self.words_done + r.words:,} words (lower --alpha){where}")
        self.words_done += r.words
        if r.examples:
            self.recent.append((r.loss, r.examples))
            self.measured = True
        loss = self.running_loss()
        if self.recent:
            self.history.append((self.base + self.words_done, loss))
        if self.bar is not None:
            shown = f"{loss:.4f}" if self.recent else "-"
            self.bar.update(r.words)
            self.bar.set_postfix_str(f"epoch {epoch + 1}/{self.schedule.epochs} lr {r.lr:.5f} "
                                     f"loss {shown}", refresh=False)
        if self.callback is not None:
            elapsed = time.perf_counter() - self.t0
            self.callback({"epoch": epoch, "chunk": r.chunk, "words": self.words_done,
                           "total_words": self.schedule.total, "alpha": r.lr, "loss": loss,
                           "words_per_sec": (self.words_done - self.w0) / elapsed
                           if elapsed else 0.0})

    def history_array(self) -> np.ndarray:
        return np.asarray(self.history, dtype=np.float64).reshape(-1, 2)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
