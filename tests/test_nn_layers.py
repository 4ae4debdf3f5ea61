import numpy as np
import pytest

from embed.nn import layers as L
from embed.nn.gradcheck import layer_gradient_errors
from embed.nn.sparse import SparseGrad

F64 = np.float64
TOL = 1e-6


def _x(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def _check(layer, x):
    errs = layer_gradient_errors(layer, x)
    assert errs and max(errs.values()) < TOL, errs


def test_dense_gradients():
    _check(L.Dense(4, 3, seed=0, dtype=F64), _x((5, 4)))


def test_dense_forward_is_affine():
    d = L.Dense(3, 2, seed=0, dtype=F64)
    x = _x((4, 3))
    np.testing.assert_allclose(d.forward(x), x @ d.W + d.b)


@pytest.mark.parametrize("cls", [L.ReLU, L.Sigmoid, L.Tanh, L.Softplus, L.Softmax])
def test_activation_layer_gradients(cls):
    _check(cls(), _x((4, 5)) * 3)


def test_embedding_forward_and_sparse_gradient():
    emb = L.Embedding(7, 3, sigma=0.5, seed=0, dtype=F64)
    ids = np.array([[1, 4], [4, 6], [1, 1]])
    out = emb.forward(ids)
    assert out.shape == (3, 2, 3)
    np.testing.assert_array_equal(out, emb.W[ids])
    assert emb.backward(np.ones_like(out)) is None
    g = emb.grad
    assert isinstance(g, SparseGrad)
    np.testing.assert_array_equal(g.rows, ids.ravel())
    assert g.values.shape == (6, 3)
    assert emb.params() == [emb.W] and emb.grads() == [g]
    # Only the looked-up rows carry gradient.
    dense = g.to_dense(emb.W.shape)
    assert set(np.flatnonzero(np.abs(dense).sum(1))) == {1, 4, 6}
    assert emb.W.dtype == F64 and L.Embedding(3, 2).W.dtype == np.float32


def test_embedding_gradients():
    _check(L.Embedding(6, 3, sigma=1.0, seed=0, dtype=F64), np.array([[0, 2], [2, 5], [5, 5]]))


def test_batchnorm_gradients_train_and_eval():
    bn = L.BatchNorm(3, dtype=F64)
    bn.gamma[:] = [0.5, 2.0, -1.0]
    bn.beta[:] = [0.1, 0.0, 0.3]
    x = _x((6, 3)) * 2 + 1
    _check(bn, x)
    bn.eval()
    _check(bn, x)


def test_batchnorm_statistics_and_modes():
    bn = L.BatchNorm(2, eps=1e-5, momentum=0.1, dtype=F64)
    x = np.array([[1.0, 10.0], [3.0, 14.0], [5.0, 12.0]])
    y = bn.forward(x)
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(0), x.var(0) / (x.var(0) + 1e-5))
    # EWMA with momentum 0.1 from (0, 1), the unbiased batch variance entering the running one.
    np.testing.assert_allclose(bn.running_mean, 0.1 * np.array([3.0, 12.0]))
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * np.array([4.0, 4.0]))
    bn.eval()
    z = bn.forward(x[:1])
    np.testing.assert_allclose(z, (x[:1] - bn.running_mean) / np.sqrt(bn.running_var + 1e-5))
    with pytest.raises(ValueError):
        bn.train().forward(x[:1])


@pytest.mark.parametrize("shape,mode,n", [
    ((2, 6), "across", 3),
    ((2, 5, 3, 3), "across", 5),
    ((2, 4, 4), "across", 2),
    ((2, 2, 5, 4), "within", 3),
    ((2, 3, 6), "within", 2),
])
def test_lrn_gradients(shape, mode, n):
    _check(L.LRN(alpha=0.5, k=1.5, beta=0.75, n=n, mode=mode), _x(shape))


def test_lrn_across_matches_direct_formula():
    alpha, k, beta, n = 0.3, 2.0, 0.75, 3
    x = _x((2, 5, 2))
    y = L.LRN(alpha, k, beta, n, "across").forward(x)
    expect = np.empty_like(x)
    for c in range(5):
        lo, hi = max(0, c - 1), min(5, c + 2)
        s = k + alpha / n * np.sum(x[:, lo:hi] ** 2, axis=1)
        expect[:, c] = x[:, c] / s ** beta
    np.testing.assert_allclose(y, expect)


def test_lrn_within_matches_direct_formula():
    alpha, k, beta, n = 0.3, 1.0, 0.75, 3
    x = _x((1, 2, 4, 4))
    y = L.LRN(alpha, k, beta, n, "within").forward(x)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for c in range(2):
        for i in range(4):
            for j in range(4):
                s = k + alpha / n**2 * np.sum(padded[0, c, i:i + 3, j:j + 3] ** 2)
                assert y[0, c, i, j] == pytest.approx(x[0, c, i, j] / s**beta)


def test_residual_and_sequential_gradients():
    block = L.Sequential([L.Dense(4, 4, seed=1, dtype=F64), L.Tanh(),
                          L.Dense(4, 4, seed=2, dtype=F64)])
    res = L.Residual(block)
    x = _x((3, 4))
    np.testing.assert_allclose(res.forward(x), x + block.forward(x))
    _check(res, x)
    net = L.Sequential([L.Dense(4, 5, seed=3, dtype=F64), L.BatchNorm(5, dtype=F64), L.ReLU(),
                        L.Dense(5, 2, seed=4, dtype=F64)])
    _check(net, x + 0.1)
    assert len(net.params()) == len(net.grads()) == 6


def test_wide_residual_mlp_gradients_and_width():
    narrow = L.residual_mlp(3, 2, width=4, depth=1, widen=1, seed=0, dtype=F64)
    wide = L.residual_mlp(3, 2, width=4, depth=1, widen=3, seed=0, dtype=F64)
    assert narrow[0].W.shape == (3, 4) and wide[0].W.shape == (3, 12)
    assert wide.forward(_x((5, 3))).shape == (5, 2)
    _check(narrow, _x((5, 3)))
    wide.eval()
    assert wide.layers[1].block.layers[0].training is False
