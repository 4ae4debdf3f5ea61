"""Each optimizer's first three steps against arithmetic written out by hand.

Parameter θ0 = [1.0, -2.0]; gradients g1 = [0.5, -1.0], g2 = [0.25, 0.5], g3 = [-1.0, 2.0]
(fixed, not computed from θ, so every number below follows from the update rule alone).
"""
import math

import numpy as np
import pytest

from embed.nn.errors import NNError
from embed.nn.optimizers import (OPTIMIZERS, SGD, AdaDelta, AdaGrad, Adam, Momentum, RMSProp,
                                 get_optimizer)
from embed.nn.sparse import SparseGrad

G = [[0.5, -1.0], [0.25, 0.5], [-1.0, 2.0]]
THETA0 = [1.0, -2.0]


def _run(opt):
    theta = np.array(THETA0)
    out = []
    for g in G:
        opt.step([theta], [np.array(g)])
        out.append(theta.copy())
    return out


def _close(got, expect):
    for a, b in zip(got, expect):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_sgd_by_hand():
    # θ -= 0.1 g
    _close(_run(SGD(0.1)), [[0.95, -1.9], [0.925, -1.95], [1.025, -2.15]])


def test_momentum_by_hand():
    # v = 0.9 v + 0.1 g ; θ -= 0.1 v
    # v1 = [0.05, -0.1]              θ1 = [1 - 0.005, -2 + 0.01] = [0.995, -1.99]
    # v2 = [0.045+0.025, -0.09+0.05] = [0.07, -0.04]     θ2 = [0.988, -1.986]
    # v3 = [0.063-0.1, -0.036+0.2] = [-0.037, 0.164]     θ3 = [0.9917, -2.0024]
    _close(_run(Momentum(0.1, beta=0.9)), [[0.995, -1.99], [0.988, -1.986], [0.9917, -2.0024]])


def test_adagrad_by_hand():
    # G += g², θ -= 0.1 g / (√G + 1e-8)
    # G1 = [0.25, 1]       step = 0.1·[0.5/0.5, -1/1] = [0.1, -0.1]
    # G2 = [0.3125, 1.25]  step = 0.1·[0.25/√0.3125, 0.5/√1.25]
    # G3 = [1.3125, 5.25]  step = 0.1·[-1/√1.3125, 2/√5.25]
    t1 = [0.9, -1.9]
    t2 = [t1[0] - 0.1 * 0.25 / math.sqrt(0.3125), t1[1] - 0.1 * 0.5 / math.sqrt(1.25)]
    t3 = [t2[0] + 0.1 / math.sqrt(1.3125), t2[1] - 0.2 / math.sqrt(5.25)]
    _close(_run(AdaGrad(0.1, eps=1e-8)), [t1, t2, t3])


def test_rmsprop_by_hand():
    # S = 0.9 S + 0.1 g², θ -= 0.01 g / (√S + 1e-8)
    # S1 = [0.025, 0.1]; S2 = [0.0225+0.00625, 0.09+0.025] = [0.02875, 0.115]
    # S3 = [0.025875+0.1, 0.1035+0.4] = [0.125875, 0.5035]
    t1 = [1 - 0.01 * 0.5 / math.sqrt(0.025), -2 + 0.01 / math.sqrt(0.1)]
    t2 = [t1[0] - 0.01 * 0.25 / math.sqrt(0.02875), t1[1] - 0.01 * 0.5 / math.sqrt(0.115)]
    t3 = [t2[0] + 0.01 / math.sqrt(0.125875), t2[1] - 0.02 / math.sqrt(0.5035)]
    _close(_run(RMSProp(0.01, rho=0.9, eps=1e-8)), [t1, t2, t3])


def test_adadelta_by_hand():
    # Eg = 0.95 Eg + 0.05 g²; dx = -√(Ed + 1e-6)/√(Eg + 1e-6) g; Ed = 0.95 Ed + 0.05 dx²
    eps = 1e-6
    # step 1, coordinate 0: Eg = 0.0125, dx = -√1e-6/√0.012501 · 0.5
    eg = [0.05 * 0.25, 0.05 * 1.0]
    dx1 = [-math.sqrt(eps) / math.sqrt(eg[0] + eps) * 0.5, math.sqrt(eps) / math.sqrt(eg[1] + eps)]
    ed = [0.05 * dx1[0] ** 2, 0.05 * dx1[1] ** 2]
    t1 = [1 + dx1[0], -2 + dx1[1]]
    # step 2: g = [0.25, 0.5]
    eg = [0.95 * eg[0] + 0.05 * 0.0625, 0.95 * eg[1] + 0.05 * 0.25]
    dx2 = [-math.sqrt(ed[0] + eps) / math.sqrt(eg[0] + eps) * 0.25,
           -math.sqrt(ed[1] + eps) / math.sqrt(eg[1] + eps) * 0.5]
    ed = [0.95 * ed[0] + 0.05 * dx2[0] ** 2, 0.95 * ed[1] + 0.05 * dx2[1] ** 2]
    t2 = [t1[0] + dx2[0], t1[1] + dx2[1]]
    # step 3: g = [-1, 2]
    eg = [0.95 * eg[0] + 0.05 * 1.0, 0.95 * eg[1] + 0.05 * 4.0]
    dx3 = [math.sqrt(ed[0] + eps) / math.sqrt(eg[0] + eps),
           -math.sqrt(ed[1] + eps) / math.sqrt(eg[1] + eps) * 2.0]
    t3 = [t2[0] + dx3[0], t2[1] + dx3[1]]
    _close(_run(AdaDelta(rho=0.95, eps=1e-6)), [t1, t2, t3])
    assert t1[0] == pytest.approx(1 - 0.5 * 1e-3 / math.sqrt(0.012501))


def test_adam_by_hand():
    # m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g²; θ -= 0.1 (m/(1-0.9^t)) / (√(v/(1-0.999^t)) + 1e-8)
    # t = 1: m̂ = g, v̂ = g², so the step is 0.1·sign(g) (up to eps): θ1 = [0.9, -1.9]
    m1 = [0.05, -0.1]
    v1 = [0.00025, 0.001]
    t1 = [THETA0[i] - 0.1 * (m1[i] / 0.1) / (math.sqrt(v1[i] / 0.001) + 1e-8) for i in range(2)]
    # t = 2: g = [0.25, 0.5]
    m2 = [0.045 + 0.025, -0.09 + 0.05]
    v2 = [0.999 * 0.00025 + 0.001 * 0.0625, 0.999 * 0.001 + 0.001 * 0.25]
    c1, c2 = 1 - 0.81, 1 - 0.998001
    t2 = [t1[i] - 0.1 * (m2[i] / c1) / (math.sqrt(v2[i] / c2) + 1e-8) for i in range(2)]
    # t = 3: g = [-1, 2]
    m3 = [0.9 * m2[0] - 0.1, 0.9 * m2[1] + 0.2]
    v3 = [0.999 * v2[0] + 0.001 * 1.0, 0.999 * v2[1] + 0.001 * 4.0]
    c1, c2 = 1 - 0.729, 1 - 0.997002999
    t3 = [t2[i] - 0.1 * (m3[i] / c1) / (math.sqrt(v3[i] / c2) + 1e-8) for i in range(2)]
    _close(_run(Adam(0.1, 0.9, 0.999, 1e-8)), [t1, t2, t3])
    np.testing.assert_allclose(t1, [0.9, -1.9])


# --- sparse rows vs dense ------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_rows_match_dense_and_leave_other_rows_alone(name, dtype):
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((8, 3)).astype(dtype)
    dense_W, sparse_W = W0.copy(), W0.copy()
    dense_opt, sparse_opt = get_optimizer(name), get_optimizer(name)
    touched = np.array([1, 4, 6])
    for step in range(3):
        rows = np.array([4, 1, 6, 4, 1])  # duplicates: summed like the dense gradient
        vals = rng.standard_normal((5, 3)).astype(dtype)
        sg = SparseGrad(rows, vals)
        sparse_opt.step([sparse_W], [sg])
        # The dense optimizer sees the same gradient on the touched rows only.
        dense_sub = W0[touched].copy() if step == 0 else dense_sub
        dense_opt.step([dense_sub], [sg.to_dense(W0.shape)[touched]])
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(sparse_W[touched], dense_sub, rtol=rtol, atol=rtol)
    untouched = np.setdiff1d(np.arange(8), touched)
    np.testing.assert_array_equal(sparse_W[untouched], W0[untouched])
    for key, slot in sparse_opt.state_for(sparse_W).items():
        if key != "param":
            assert not np.any(slot[untouched])


def test_dense_gradient_with_zero_rows_equals_sparse_for_sgd_and_adagrad():
    # For optimizers with no decaying state a full dense step equals the sparse step exactly.
    rng = np.random.default_rng(1)
    W0 = rng.standard_normal((6, 2))
    sg = SparseGrad(np.array([0, 3, 3]), rng.standard_normal((3, 2)))
    for name in ("sgd", "adagrad"):
        a, b = W0.copy(), W0.copy()
        get_optimizer(name, lr=0.1).step([a], [sg])
        get_optimizer(name, lr=0.1).step([b], [sg.to_dense(W0.shape)])
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_adam_counts_steps_per_row():
    W = np.zeros((3, 1))
    opt = Adam(lr=0.1)
    opt.step([W], [SparseGrad(np.array([0]), np.array([[1.0]]))])
    opt.step([W], [SparseGrad(np.array([0]), np.array([[1.0]]))])
    opt.step([W], [SparseGrad(np.array([2]), np.array([[1.0]]))])
    np.testing.assert_array_equal(opt.state_for(W)["t"], [2, 0, 1])
    # Row 2's first update is fully bias-corrected: exactly lr (up to eps), like row 0's first.
    assert W[2, 0] == pytest.approx(-0.1)


def test_interface_details():
    opt = get_optimizer("momentum", lr=0.5, beta=0.8)
    assert isinstance(opt, Momentum) and opt.lr == 0.5 and opt.beta == 0.8
    opt.lr = 0.25
    p = np.ones(2)
    opt.step([p], [np.ones(2)])
    np.testing.assert_allclose(p, 1 - 0.25 * 0.2)
    opt.step([p], [None])  # a parameter without gradient is skipped
    with pytest.raises(NNError):
        get_optimizer("nadam")
    with pytest.raises(ValueError):
        SGD(0.1).step([p], [np.ones(3)])
    with pytest.raises(IndexError):
        SGD(0.1).step([np.ones((2, 2))], [SparseGrad(np.array([5]), np.ones((1, 2)))])
    with pytest.raises(ValueError):
        SGD(0.1).step([np.ones((4, 4))[:, ::2]], [np.ones((4, 2))])
    # State is kept per parameter (by identity), not shared between parameters.
    a, b = np.zeros(2), np.zeros(2)
    adam = Adam(0.1)
    adam.step([a], [np.ones(2)])
    adam.step([b, a], [np.ones(2), np.ones(2)])
    np.testing.assert_array_equal(adam.state_for(a)["t"], [2, 2])
    np.testing.assert_array_equal(adam.state_for(b)["t"], [1, 1])


def test_numba_coalesce_equals_sparsegrad_coalesce():
    from embed.nn.optimizers import _coalesce_rows

    rng = np.random.default_rng(5)
    g = SparseGrad(rng.integers(0, 20, 200), rng.standard_normal((200, 3)))
    rows, vals = _coalesce_rows(g.rows.astype(np.int64), g.values)
    ref = g.coalesce()
    np.testing.assert_array_equal(rows, ref.rows)
    np.testing.assert_allclose(vals, ref.values, rtol=1e-12)


def test_sgd_applies_repeated_rows_like_their_sum():
    rng = np.random.default_rng(6)
    W0 = rng.standard_normal((5, 2))
    g = SparseGrad(np.array([3, 0, 3, 3]), rng.standard_normal((4, 2)))
    a, b = W0.copy(), W0.copy()
    SGD(0.5).step([a], [g])
    b -= 0.5 * g.to_dense(W0.shape)
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("name", ["momentum", "adagrad", "rmsprop", "adadelta", "adam"])
def test_state_dict_round_trip_continues_exactly(name):
    """Saving the slots after 2 steps and loading them into a fresh optimizer gives the same
    third step as the optimizer that never stopped."""
    rng = np.random.default_rng(11)
    W0, out0 = rng.standard_normal((6, 3)), rng.standard_normal((4, 3))
    grads = [(SparseGrad(rng.integers(0, 6, 5), rng.standard_normal((5, 3))),
              rng.standard_normal((4, 3))) for _ in range(3)]
    a, a_out = W0.copy(), out0.copy()
    opt = get_optimizer(name, lr=0.1)
    for g in grads[:2]:
        opt.step([a, a_out], list(g))
    saved = {k: v.copy() for k, v in opt.state_dict({"in": a, "out": a_out}).items()}
    assert set(saved) == {"lr"} | {f"{p}.{s}" for p in ("in", "out") for s in opt.slots}
    b, b_out = a.copy(), a_out.copy()
    opt.step([a, a_out], list(grads[2]))
    fresh = get_optimizer(name, lr=0.5)
    fresh.load_state_dict(saved, {"in": b, "out": b_out})
    assert fresh.lr == 0.1
    fresh.step([b, b_out], list(grads[2]))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a_out, b_out)


def test_load_state_dict_refuses_wrong_shapes_without_changing_anything():
    W = np.zeros((3, 2))
    opt = Adam(0.1)
    opt.step([W], [np.ones((3, 2))])
    state = opt.state_dict([W])
    other = np.zeros((4, 2))
    fresh = Adam(0.2)
    with pytest.raises(NNError, match="0.m has shape"):
        fresh.load_state_dict(state, [other])
    assert fresh.lr == 0.2 and fresh.state == {}
    with pytest.raises(NNError, match="lacks 0.v"):
        fresh.load_state_dict({"0.m": state["0.m"], "0.t": state["0.t"]}, [W])
    # SGD has no slots: only the rate travels
    assert set(SGD(0.3).state_dict([W])) == {"lr"}
