"""Pictures of a model: its training loss curve and a 2-D map of its most frequent words.

matplotlib with the Agg back-end (no screen needed); PNG files written atomically.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from embed.atomic import atomic_path
from embed.errors import EmbedError


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _check_png(path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise EmbedError("plots are written as PNG; give a file name ending in .png, "
                         f"not {path.name}")
    return path


def _save(fig, path) -> None:
    with atomic_path(_check_png(path), suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")


def _words_axis(value, _pos=None) -> str:
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:g}{unit}"
    return f"{value:g}"


def plot_loss(history: np.ndarray, path, title: str | None = None, smooth: int = 0) -> None:
    """Loss curve from a model directory's history [n, 2] (words processed, running loss:
    the training loss averaged over the updates since the previous point). `smooth` > 1 adds
    the mean of the last `smooth` points, for noisy curves."""
    history = np.asarray(history, dtype=np.float64).reshape(-1, 2)
    if len(history) == 0:
        raise EmbedError("the model has no loss history to plot")
    if smooth < 0:
        raise EmbedError(f"smooth must be 0 or more points, got {smooth}")
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=(8, 4.5))
    words, loss = history[:, 0], history[:, 1]
    ax.plot(words, loss, color="tab:blue", lw=1.2, marker="o" if len(words) < 30 else None,
            ms=3, label="running loss")
    if 1 < smooth <= len(loss):
        mean = np.convolve(loss, np.ones(smooth) / smooth, mode="valid")
        ax.plot(words[smooth - 1:], mean, color="tab:orange", lw=2,
                label=f"mean of the last {smooth} points")
        ax.legend()
    ax.xaxis.set_major_formatter(FuncFormatter(_words_axis))
    ax.set_xlabel("words processed")
    ax.set_ylabel("training loss (running average)")
    ax.set_title(title or "Training loss")
    ax.grid(alpha=0.3)
    _save(fig, path)
    plt.close(fig)


def project_2d(vectors: np.ndarray, method: str = "tsne", seed: int = 0) -> np.ndarray:
    """[n, dim] -> [n, 2] by scikit-learn's t-SNE (cosine geometry: rows are unit-normalised
    first) or PCA."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1.0, norms)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(unit)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (len(unit) - 1) / 3)
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                    max_iter=1000).fit_transform(unit)
    raise EmbedError(f"unknown projection method {method!r} (use tsne or pca)")


def _label_lifts(xy: np.ndarray) -> list[int]:
    """How many labels already sit in each point's label-sized cell: the label is moved
    down one line per label, so words at (nearly) the same place stay readable."""
    span = np.ptp(xy, axis=0)
    span[span == 0] = 1.0
    cell = span * np.array([0.05, 0.012])  # about one short word wide, one line high
    seen: dict[tuple[int, int], int] = {}
    lifts = []
    for x, y in xy:
        key = (int(np.floor(x / cell[0])), int(np.floor(y / cell[1])))
        lifts.append(seen.get(key, 0))
        seen[key] = lifts[-1] + 1
    return lifts


def plot_words(words: list[str], vectors: np.ndarray, path, method: str = "tsne",
               seed: int = 0, title: str | None = None) -> None:
    """Scatter of `words` placed by `project_2d(vectors)`, each point labelled."""
    if len(words) < 5:
        raise EmbedError(f"a word map needs at least 5 words, got {len(words)}")
    _check_png(path)  # before the projection, which can take a while
    xy = project_2d(vectors, method, seed)
    plt = _pyplot()
    side = float(np.clip(np.sqrt(len(words)) * 0.9, 8, 24))
    fig, ax = plt.subplots(figsize=(side, side))
    ax.scatter(xy[:, 0], xy[:, 1], s=8, color="tab:blue", alpha=0.6)
    for (x, y), word, lift in zip(xy, words, _label_lifts(xy)):
        ax.annotate(word, (x, y), xytext=(3, 2 - 11 * lift), textcoords="offset points",
                    fontsize=9, ha="left", va="bottom")
    name = "t-SNE" if method == "tsne" else "PCA"
    ax.set_xlabel(f"{name} dimension 1")
    ax.set_ylabel(f"{name} dimension 2")
    ax.set_title(title or f"{len(words)} most frequent words, {name} of their vectors")
    _save(fig, path)
    plt.close(fig)
