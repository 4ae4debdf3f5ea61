"""Score against trial number, one colour per strategy (matplotlib, Agg backend, PNG)."""
from __future__ import annotations

import os

import numpy as np

from embed.atomic import atomic_path


def plot_scores(series: dict[str, list[tuple[int, float | None]]], path: str | os.PathLike,
                title: str = "Search progress", ylabel: str = "score (higher is better)",
                maximize: bool = True, yscale: str = "linear") -> None:
    """series: strategy -> [(trial number counted from 0, score or None for a failed trial)].

    Each trial is a dot, the best score so far (highest, or lowest when not ``maximize``) a step
    line; failed trials are crosses on the worst edge. ``yscale``: "linear" or "log".
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
    finite = [s for pts in series.values() for _, s in pts if s is not None]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    margin = 0.05 * ((hi - lo) or 1.0)
    floor = lo - margin if maximize else hi + margin  # where failed trials are drawn
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, pts) in enumerate(series.items()):
        c = colours[i % len(colours)]
        pts = sorted(pts, key=lambda p: p[0])
        x = np.array([t for t, _ in pts], dtype=float) + 1  # trials are counted from 1 on the axis
        ok = np.array([s is not None for _, s in pts], dtype=bool)
        y = np.array([s if s is not None else np.nan for _, s in pts], dtype=float)
        ax.scatter(x[ok], y[ok], s=18, color=c, alpha=0.55)
        if (~ok).any():
            ax.scatter(x[~ok], np.full((~ok).sum(), floor), marker="x", color=c, s=30,
                       label=f"{label}: {(~ok).sum()} failed")
        if maximize:
            best = np.fmax.accumulate(np.where(ok, y, -np.inf))
        else:
            best = np.fmin.accumulate(np.where(ok, y, np.inf))
        best[~np.isfinite(best)] = np.nan
        if ok.any():
            top = y[ok].max() if maximize else y[ok].min()
            legend = f"{label} (best {top:.4g})"
        else:  # (no nanmax over nothing but NaN: numpy would warn on the user's terminal)
            legend = f"{label} (all failed)"
        ax.step(x, best, where="post", color=c, lw=2, label=legend)
    ax.set_yscale(yscale)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial number")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
