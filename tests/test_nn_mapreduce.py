import numpy as np
import pytest

from embed.nn import layers as L
from embed.nn import mapreduce as mr
from embed.nn.losses import softmax_cross_entropy


def _data(m=301, d=7, c=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d))
    Y = np.eye(c)[rng.integers(0, c, m)]
    return X, Y, 0.3 * rng.standard_normal((d, c)), 0.1 * rng.standard_normal(c)


def test_serial_kernel_matches_numpy_loss():
    X, Y, W, b = _data()
    loss, gW, gb = mr.softmax_regression_grad(X, Y, W, b)
    ref, dlogits = softmax_cross_entropy(X @ W + b, Y)
    assert loss == pytest.approx(ref, rel=1e-12)
    np.testing.assert_allclose(gW, X.T @ dlogits, atol=1e-14)
    np.testing.assert_allclose(gb, dlogits.sum(0), atol=1e-14)


@pytest.mark.parametrize("n_chunks", [1, 2, 3, 8])
def test_prange_and_threads_equal_serial(n_chunks):
    X, Y, W, b = _data()
    serial = mr.softmax_regression_grad(X, Y, W, b)
    for par in (mr.softmax_regression_grad_prange(X, Y, W, b, n_chunks),
                mr.softmax_regression_grad_threads(X, Y, W, b, n_chunks, n_workers=2)):
        assert par[0] == pytest.approx(serial[0], rel=1e-12)
        np.testing.assert_allclose(par[1], serial[1], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(par[2], serial[2], rtol=1e-10, atol=1e-14)


def test_chunk_bounds_cover_the_batch():
    np.testing.assert_array_equal(mr.chunk_bounds(10, 3), [0, 3, 7, 10])
    np.testing.assert_array_equal(mr.chunk_bounds(2, 5), [0, 1, 2])


def test_generic_map_reduce_sums_chunks():
    X, Y, W, b = _data()

    def grad_sum(Xc, Yc):
        loss, d = softmax_cross_entropy(Xc @ W + b, Yc)
        n = len(Xc)
        return loss * n, [Xc.T @ d * n, d.sum(0) * n]

    loss, (gW, gb) = mr.map_reduce(grad_sum, X, Y, n_chunks=4)
    serial = mr.softmax_regression_grad(X, Y, W, b)
    assert loss / len(X) == pytest.approx(serial[0], rel=1e-12)
    np.testing.assert_allclose(gW / len(X), serial[1], atol=1e-14)


def test_model_gradients_equal_one_full_pass():
    X, Y, _, _ = _data(m=50)
    ids = np.random.default_rng(1).integers(0, 9, (50, 2))
    net = L.Sequential([L.Dense(7, 6, seed=0, dtype=np.float64), L.ReLU(),
                        L.Dense(6, 4, seed=1, dtype=np.float64)])
    cost, grads = mr.model_gradients(net, softmax_cross_entropy, X, Y, n_chunks=3)
    ref_cost, d = softmax_cross_entropy(net.forward(X), Y)
    net.backward(d)
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for g, r in zip(grads, net.grads()):
        np.testing.assert_allclose(g, r, atol=1e-14)
    # Row-sparse gradients from an embedding are gathered across chunks.
    emb = L.Sequential([L.Embedding(9, 3, sigma=1.0, seed=2, dtype=np.float64), L.Tanh()])

    def loss(out, target):
        return float(np.mean(np.sum(out, axis=(1, 2)))), np.ones_like(out) / len(out)

    _, (gs,) = mr.model_gradients(emb, loss, ids, np.zeros(50), n_chunks=2)
    emb.forward(ids)
    emb.backward(np.ones((50, 2, 3)) / 50)
    np.testing.assert_allclose(gs.to_dense((9, 3)), emb.grads()[0].to_dense((9, 3)), atol=1e-14)


def test_trainer_with_parallel_gradients_matches_serial_training():
    from embed.nn.optimizers import Adam
    from embed.nn.training import Trainer

    X, Y, _, _ = _data(m=64)

    def net():
        return L.Sequential([L.Dense(7, 6, seed=0, dtype=np.float64), L.Tanh(),
                             L.Dense(6, 4, seed=1, dtype=np.float64)])

    serial = Trainer(net(), softmax_cross_entropy, Adam(0.01))
    model = net()
    pg = mr.ParallelGradients(model, softmax_cross_entropy, n_chunks=3, n_workers=2)
    par = Trainer(model, softmax_cross_entropy, Adam(0.01), parallel=pg)
    c1 = serial.fit(X, Y, epochs=3, batch_size=16, seed=0)
    c2 = par.fit(X, Y, epochs=3, batch_size=16, seed=0)
    pg.close()
    np.testing.assert_allclose(c1, c2, rtol=1e-10)
    for a, b in zip(serial.model.params(), par.model.params()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError):
        mr.ParallelGradients(L.Sequential([L.Dense(2, 2), L.BatchNorm(2)]), softmax_cross_entropy)
