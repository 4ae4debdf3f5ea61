import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from embed.nn import init
from embed.nn.preprocessing import fit_scale, one_hot, scaler


def test_one_hot_seven_samples_four_categories():
    # The seed's example: 7 samples, each labelled with one of 4 categories.
    labels = [2, 0, 3, 1, 1, 2, 0]
    expect = np.array([
        [0, 0, 1, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 1],
        [0, 1, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [1, 0, 0, 0],
    ])
    np.testing.assert_array_equal(one_hot(labels), expect)
    words = ["red", "green", "blue", "black", "black", "red", "green"]
    enc = one_hot(words)
    assert enc.shape == (7, 4) and np.all(enc.sum(1) == 1)
    assert enc[2].argmax() == 1  # columns in sorted order: black, blue, green, red
    # A batch lacking a class still gets every column when the categories are given.
    np.testing.assert_array_equal(one_hot([1, 1], categories=[0, 1, 2, 3]), [[0, 1, 0, 0]] * 2)


def test_scalers_are_sklearn_and_fit_on_train_only():
    rng = np.random.default_rng(0)
    Xtr, Xte = rng.normal(5, 3, (50, 3)), rng.normal(5, 3, (10, 3))
    sc, a, b = fit_scale(Xtr, Xte, kind="standard")
    assert isinstance(sc, StandardScaler)
    np.testing.assert_allclose(a.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(a.std(0), 1)
    np.testing.assert_allclose(b, (Xte - Xtr.mean(0)) / Xtr.std(0))
    mm, c = fit_scale(Xtr, kind="minmax")
    assert isinstance(mm, MinMaxScaler)
    np.testing.assert_allclose([c.min(), c.max()], [0, 1])
    with pytest.raises(ValueError):
        scaler("robust")


def test_gaussian_init_seeded_with_chosen_sigma():
    a = init.gaussian((400, 50), sigma=0.3, seed=7)
    b = init.gaussian((400, 50), sigma=0.3, seed=7)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    assert abs(a.mean()) < 0.01 and a.std() == pytest.approx(0.3, rel=0.02)
    g = init.Gaussian(sigma=2.0, seed=1)
    x, y = g((3, 3), dtype=np.float64), g((3, 3), dtype=np.float64)
    assert x.dtype == np.float64 and not np.array_equal(x, y)
    np.testing.assert_array_equal(init.Gaussian(2.0, seed=1)((3, 3), np.float64), x)
    with pytest.raises(ValueError):
        init.gaussian((2,), sigma=-1)
