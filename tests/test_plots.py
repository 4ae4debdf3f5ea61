"""Loss curve and word map: real PNG files, and 2-D maps that keep neighbours together."""
import matplotlib.image as mpimg
import numpy as np
import pytest

from embed.errors import EmbedError
from embed.plots import plot_loss, plot_words, project_2d


def _clusters(seed=0, per=8, dim=20):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, dim)) * 3
    vectors = np.concatenate([c + rng.standard_normal((per, dim)) * 0.3 for c in centres])
    labels = np.repeat(np.arange(3), per)
    return vectors.astype(np.float32), labels


@pytest.mark.parametrize("method", [pytest.param("tsne", marks=pytest.mark.slow), "pca"])
def test_projection_keeps_clusters_together(method):
    vectors, labels = _clusters()
    xy = project_2d(vectors, method, seed=0)
    assert xy.shape == (len(vectors), 2)
    d = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(axis=1)] == labels).all()
    np.testing.assert_allclose(project_2d(vectors, method, seed=0), xy)  # seeded


def test_word_map_png(tmp_path):
    vectors, labels = _clusters()
    words = [f"{'abc'[c]}word{i}" for i, c in enumerate(labels)]
    plot_words(words, vectors, tmp_path / "map.png", method="tsne")
    image = mpimg.imread(tmp_path / "map.png")
    assert image.shape[0] > 800 and image.shape[1] > 800 and image.std() > 0.01
    assert not list(tmp_path.glob(".*tmp*"))


def test_loss_png(tmp_path):
    words = np.arange(1, 101) * 10_000
    history = np.column_stack([words, 3 + np.exp(-words / 2e5) + 0.01 * np.sin(words)])
    plot_loss(history, tmp_path / "loss.png", title="test", smooth=10)
    image = mpimg.imread(tmp_path / "loss.png")
    assert image.shape[1] > image.shape[0] > 400 and image.std() > 0.01


def test_plot_errors(tmp_path):
    vectors, _ = _clusters()
    with pytest.raises(EmbedError, match="at least 5 words"):
        plot_words(["a", "b"], vectors[:2], tmp_path / "x.png")
    with pytest.raises(EmbedError, match="unknown projection"):
        project_2d(vectors, "umap")
    with pytest.raises(EmbedError, match="no loss history"):
        plot_loss(np.zeros((0, 2)), tmp_path / "x.png")
    with pytest.raises(EmbedError, match="PNG"):
        plot_loss(np.ones((3, 2)), tmp_path / "x.svg")
    with pytest.raises(EmbedError, match="PNG"):  # refused before the projection is computed
        plot_words([f"w{i}" for i in range(len(vectors))], vectors, tmp_path / "x.jpg",
                   method="projection that would fail")
    assert not (tmp_path / "x.png").exists()


def test_coincident_labels_are_stacked():
    from embed.plots import _label_lifts

    xy = np.array([[0.0, 0.0], [0.0, 0.0], [1e-4, 0.0], [5.0, 5.0], [10.0, 10.0]])
    assert _label_lifts(xy) == [0, 1, 2, 0, 0]
