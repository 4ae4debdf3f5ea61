import numpy as np
import pytest

from embed.nn import activations as A
from embed.nn import losses
from embed.nn.gradcheck import numerical_grad, relative_error

TOL = 1e-6


def _rng(seed=0):
    return np.random.default_rng(seed)


def test_softmax_cross_entropy_value_and_gradient():
    rng = _rng()
    logits = rng.standard_normal((5, 4))
    onehot = np.eye(4)[[0, 3, 1, 1, 2]]
    loss, d = losses.softmax_cross_entropy(logits, onehot)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(5), [0, 3, 1, 1, 2]])))
    num = numerical_grad(lambda: losses.softmax_cross_entropy(logits, onehot)[0], logits)
    assert relative_error(d, num) < TOL


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss, d = losses.softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([[0.0, 1.0]]))
    assert loss == pytest.approx(2000.0) and np.all(np.isfinite(d))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_squared_error(reduction):
    rng = _rng(1)
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss, d = losses.squared_error(pred, target, reduction)
    scale = 1 / 4 if reduction == "mean" else 1.0
    assert loss == pytest.approx(0.5 * scale * np.sum((pred - target) ** 2))
    num = numerical_grad(lambda: losses.squared_error(pred, target, reduction)[0], pred)
    assert relative_error(d, num) < TOL


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_negative_sampling_loss_value_and_gradients(reduction):
    rng = _rng(2)
    h = rng.standard_normal((3, 4))
    W = rng.standard_normal((6, 4))
    targets = np.array([[1, 2, 5], [0, 1, 1], [5, 3, 4]])  # repeats inside and across rows
    loss, dh, gW = losses.negative_sampling_loss(h, W, targets, reduction)
    expect = 0.0
    for i in range(3):
        expect -= np.log(1 / (1 + np.exp(-h[i] @ W[targets[i, 0]])))
        for j in targets[i, 1:]:
            expect -= np.log(1 / (1 + np.exp(h[i] @ W[j])))
    expect /= 3 if reduction == "mean" else 1
    assert loss == pytest.approx(expect)
    np.testing.assert_array_equal(gW.rows, targets.ravel())
    assert gW.values.shape == (9, 4)

    def f():
        return losses.negative_sampling_loss(h, W, targets, reduction)[0]

    assert relative_error(dh, numerical_grad(f, h)) < TOL
    assert relative_error(gW.to_dense(W.shape), numerical_grad(f, W)) < TOL


def test_negative_sampling_loss_is_finite_for_large_scores():
    h = np.full((1, 2), 100.0)
    W = np.array([[-5.0, -5.0], [5.0, 5.0]])
    loss, dh, _ = losses.negative_sampling_loss(h, W, np.array([[0, 1]]))
    assert loss == pytest.approx(2000.0) and np.all(np.isfinite(dh))


def test_penalties_value_and_gradient():
    rng = _rng(3)
    ws = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    cost, grads = losses.l2_penalty(ws, 0.3)
    assert cost == pytest.approx(0.15 * sum(np.sum(w * w) for w in ws))
    cost1, grads1 = losses.l1_penalty(ws, 0.2)
    assert cost1 == pytest.approx(0.2 * sum(np.sum(np.abs(w)) for w in ws))
    for fn, gs in ((losses.l2_penalty, grads), (losses.l1_penalty, grads1)):
        for w, g in zip(ws, gs):
            num = numerical_grad(lambda: fn(w, 0.3 if fn is losses.l2_penalty else 0.2)[0], w)
            assert relative_error(g, num) < TOL


# --- activations ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "softplus", "step"])
def test_activation_derivatives(name):
    f, df = A.ACTIVATIONS[name]
    x = np.linspace(-4, 4, 17) + 0.03  # avoid the kinks of relu / step at 0
    num = numerical_grad(lambda: float(np.sum(f(x))), x)
    np.testing.assert_allclose(df(x), num, atol=1e-7)


def test_activations_are_stable_at_extremes():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = A.sigmoid(x)
        sp = A.softplus(x)
        sm = A.softmax(np.array([[1000.0, 999.0, -1000.0]]))
    np.testing.assert_allclose(s, [0, 1 / (1 + np.exp(50)), 0.5, 1 / (1 + np.exp(-50)), 1])
    assert A.sigmoid(np.array([3.0]))[0] == pytest.approx(1 / (1 + np.exp(-3.0)))
    np.testing.assert_allclose(sp, [0, np.log1p(np.exp(-50)), np.log(2), 50, 1000])
    np.testing.assert_allclose(sm, [[1 / (1 + np.exp(-1)), 1 / (1 + np.e), 0]], atol=1e-15)
    np.testing.assert_array_equal(A.step(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])
    np.testing.assert_array_equal(A.relu(np.array([-1.0, 0.0, 2.0])), [0, 0, 2])


def test_softmax_axis_and_backward():
    x = _rng(4).standard_normal((3, 4))
    np.testing.assert_allclose(A.softmax(x, axis=0).sum(0), 1)
    np.testing.assert_allclose(A.softmax(x, axis=1).sum(1), 1)
    g = _rng(5).standard_normal((3, 4))
    s = A.softmax(x)
    num = numerical_grad(lambda: float(np.sum(g * A.softmax(x))), x)
    np.testing.assert_allclose(A.softmax_backward(s, g), num, atol=1e-8)
    np.testing.assert_allclose(A.softmax_grad(x), s * (1 - s))


def test_scalar_forms_equal_the_array_forms_and_are_stable():
    """The kernels' inlined sigmoid / softplus / logistic loss are the functions the layered
    math maps over arrays: same values, finite at the extremes, in float32 and float64."""
    from embed.nn.activations import sigmoid, sigmoid_scalar, softplus, softplus_scalar
    from embed.nn.losses import logistic_loss_scalar

    for dtype in (np.float32, np.float64):
        x = np.array([-800, -30, -12.5, -1, -1e-3, 0, 2e-3, 1, 12.5, 30, 800], dtype=dtype)
        s = np.array([sigmoid_scalar(v) for v in x])
        np.testing.assert_array_equal(s, sigmoid(x))
        assert sigmoid(x).dtype == dtype and np.all((s >= 0) & (s <= 1))
        np.testing.assert_allclose(s, 1 / (1 + np.exp(-x.astype(np.float64))), rtol=1e-6,
                                   atol=1e-30)
        sp = np.array([softplus_scalar(v) for v in x])
        np.testing.assert_array_equal(sp, softplus(x))
        np.testing.assert_allclose(sp, np.logaddexp(0, x.astype(np.float64)), rtol=1e-6)
        for v in x:
            assert logistic_loss_scalar(v, 1) == pytest.approx(np.logaddexp(0, -float(v)),
                                                                rel=1e-6)
            assert logistic_loss_scalar(v, 0) == pytest.approx(np.logaddexp(0, float(v)),
                                                                rel=1e-6)


def test_negative_sampling_mask_drops_targets():
    """A masked target contributes neither loss nor gradient: equal to the loss without it."""
    rng = np.random.default_rng(3)
    h = rng.standard_normal((2, 4))
    W = rng.standard_normal((6, 4))
    targets = np.array([[1, 2, 3], [4, 4, 5]])
    mask = np.array([[1, 1, 1], [1, 0, 1]])
    nsl = losses.negative_sampling_loss
    loss, dh, g = nsl(h, W, targets, mask=mask)
    l0, dh0, g0 = nsl(h[:1], W, targets[:1])
    l1, dh1, g1 = nsl(h[1:], W, np.array([[4, 5]]))
    assert loss == pytest.approx(l0 + l1)
    np.testing.assert_allclose(dh, np.vstack([dh0, dh1]))
    dense = g.to_dense(W.shape)
    np.testing.assert_allclose(dense, g0.to_dense(W.shape) + g1.to_dense(W.shape))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_hierarchical_softmax_loss_value_and_gradients_with_short_paths_masked(reduction):
    """One logistic decision per node on the path, label 1 - code; entries past a path's
    end (mask 0) add nothing: the value by hand and every gradient by finite differences."""
    rng = _rng(4)
    h = rng.standard_normal((3, 4))
    W = rng.standard_normal((5, 4))
    points = np.array([[4, 2, 0], [4, 2, 1], [4, 3, 0]])     # the root (4) on every path
    codes = np.array([[0, 1, 1], [0, 1, 0], [1, 0, 0]])
    mask = np.array([[1, 1, 1], [1, 1, 0], [1, 1, 0]])       # two paths of length 2, padded
    loss, dh, gW = losses.hierarchical_softmax_loss(h, W, points, codes, mask, reduction)
    expect = 0.0
    for i in range(3):
        for j in range(int(mask[i].sum())):
            sign = 1 - 2 * codes[i, j]                      # label 1 - code, as word2vec
            expect -= np.log(1 / (1 + np.exp(-sign * (h[i] @ W[points[i, j]]))))
    expect /= 3 if reduction == "mean" else 1
    assert loss == pytest.approx(expect)
    np.testing.assert_array_equal(gW.rows, points.ravel())

    def f():
        return losses.hierarchical_softmax_loss(h, W, points, codes, mask, reduction)[0]

    assert relative_error(dh, numerical_grad(f, h)) < TOL
    dense = gW.to_dense(W.shape)
    assert relative_error(dense, numerical_grad(f, W)) < TOL
    # padding touches no row: node 0 is on path 0 only, path 2 holds it past its end
    padded_only = losses.hierarchical_softmax_loss(h[1:], W, points[1:], codes[1:], mask[1:])
    assert not padded_only[2].to_dense(W.shape)[0].any()
    with pytest.raises(ValueError, match="points and codes"):
        losses.hierarchical_softmax_loss(h, W, points, codes[:, :2])
