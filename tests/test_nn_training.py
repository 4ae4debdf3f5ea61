import numpy as np
import pytest

from embed.nn import layers as L
from embed.nn.losses import softmax_cross_entropy, squared_error
from embed.nn.optimizers import SGD, Adam, get_optimizer
from embed.nn.schedules import Constant, Hypergradient, LinearDecay
from embed.nn.sparse import SparseGrad
from embed.nn.training import ConvergenceMonitor, Trainer


def _blobs(m=120, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    y = rng.integers(0, 3, m)
    X = centers[y] + 0.6 * rng.standard_normal((m, 2))
    return X, np.eye(3)[y], y


def _net(seed=0):
    return L.Sequential([L.Dense(2, 8, seed=seed, dtype=np.float64), L.Tanh(),
                         L.Dense(8, 3, seed=seed + 1, dtype=np.float64)])


def _initial_cost(X, Y, seed=0):
    return softmax_cross_entropy(_net(seed).forward(X), Y)[0]


@pytest.mark.parametrize("batch_size,lr,epochs", [(None, 0.5, 40), (1, 0.05, 3), (16, 0.2, 10)])
def test_full_stochastic_and_minibatch_reduce_cost(batch_size, lr, epochs):
    X, Y, y = _blobs()
    tr = Trainer(_net(), softmax_cross_entropy, SGD(lr))
    costs = tr.fit(X, Y, epochs=epochs, batch_size=batch_size, seed=1)
    updates_per_epoch = {None: 1, 1: 120, 16: 8}[batch_size]
    assert tr.updates == epochs * updates_per_epoch == len(tr.monitor.costs)
    final = softmax_cross_entropy(tr.predict(X), Y)[0]
    assert final < 0.5 * _initial_cost(X, Y)
    assert costs[-1] < costs[0]
    assert tr.accuracy(X, y) > 0.9


def test_online_partial_fit_on_a_stream():
    X, Y, y = _blobs(400, seed=2)
    tr = Trainer(_net(), softmax_cross_entropy, Adam(0.02), monitor=ConvergenceMonitor(k=50))
    stream = ((X[i % 400], Y[i % 400]) for i in range(10**9))  # endless
    assert tr.fit_stream(stream, max_updates=600) == 600
    assert tr.monitor.averages[-1] < 0.5 * tr.monitor.averages[49]
    assert tr.accuracy(X, y) > 0.9
    # A single example without batch axis is accepted.
    tr.partial_fit(X[0], Y[0])
    assert tr.updates == 601


def test_convergence_monitor_averages_last_k():
    mon = ConvergenceMonitor(k=3)
    for c in [6, 3, 0, 3, 3, 3, 3, 3, 3]:
        mon.record(c)
    np.testing.assert_allclose(mon.averages, [6, 4.5, 3, 2, 2, 3, 3, 3, 3])
    assert mon.average == 3 and mon.converged(1e-9)
    assert not ConvergenceMonitor(k=3).converged()
    import matplotlib
    matplotlib.use("Agg")
    ax = mon.plot()
    assert ax.get_xlabel() == "update"


def test_l2_penalty_shrinks_weights_and_adds_cost():
    X, Y, _ = _blobs()
    plain = Trainer(_net(), softmax_cross_entropy, SGD(0.3))
    reg = Trainer(_net(), softmax_cross_entropy, SGD(0.3), l2=0.1, l1=0.001)
    plain.fit(X, Y, epochs=30)
    reg.fit(X, Y, epochs=30)
    norm = lambda t: sum(np.sum(p * p) for p in t.model.params() if p.ndim == 2)  # noqa: E731
    assert norm(reg) < 0.7 * norm(plain)
    assert reg.monitor.costs[0] > plain.monitor.costs[0]  # penalty is part of the cost


def test_squared_error_regression_with_schedules():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    for sched in (Constant(0.1), LinearDecay(0.2, 0.01, 100), Hypergradient(0.01, beta=0.01)):
        tr = Trainer(L.Dense(3, 1, seed=0, dtype=np.float64), squared_error, SGD(0.0), sched)
        tr.fit(X, Y, epochs=100)
        assert tr.monitor.costs[-1] < 1e-3 * tr.monitor.costs[0], type(sched).__name__


def test_linear_decay_and_constant_values():
    d = LinearDecay(1.0, 0.1, total_steps=9)
    assert [round(d.update(), 6) for _ in range(11)] == [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4,
                                                          0.3, 0.2, 0.1, 0.1]
    assert d(4.5) == pytest.approx(0.55)
    c = Constant(0.3)
    opt = SGD(1.0)
    assert c.apply(opt) == 0.3 and opt.lr == 0.3


def test_hypergradient_rule_by_hand():
    # lr_t = lr_{t-1} + β ⟨g_t, g_{t-1}⟩ ; the first step has no previous gradient.
    h = Hypergradient(0.1, beta=0.01)
    assert h.update([np.array([1.0, 2.0])]) == 0.1
    assert h.update([np.array([3.0, -1.0])]) == pytest.approx(0.1 + 0.01 * (3 - 2))
    assert h.update([np.array([-3.0, 1.0])]) == pytest.approx(0.11 + 0.01 * (-9 - 1))
    # Works with row-sparse gradients: only shared rows contribute.
    hs = Hypergradient(0.1, beta=0.5)
    hs.update([SparseGrad(np.array([0, 2, 2]), np.array([[1.0], [1.0], [2.0]]))])
    lr = hs.update([SparseGrad(np.array([2, 5]), np.array([[2.0], [7.0]]))])
    assert lr == pytest.approx(0.1 + 0.5 * (3.0 * 2.0))


def test_hypergradient_adapts_a_too_small_rate_with_any_optimizer():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((64, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    for name in ("sgd", "momentum", "adam"):
        sched = Hypergradient(1e-4, beta=1e-3)
        tr = Trainer(L.Dense(3, 1, seed=0, dtype=np.float64), squared_error,
                     get_optimizer(name, lr=1e-4), sched)
        tr.fit(X, Y, epochs=60)
        assert sched.lr > 1e-3, name  # the rate grew while gradients kept agreeing
        assert tr.monitor.costs[-1] < 0.5 * tr.monitor.costs[0], name


def test_fit_drop_last_and_batch_weighted_epoch_cost():
    X, Y, _ = _blobs(50)
    tr = Trainer(_net(), softmax_cross_entropy, SGD(0.0))  # lr 0: the cost stays put
    costs = tr.fit(X, Y, epochs=1, batch_size=16, shuffle=False)
    assert tr.updates == 4  # 16 + 16 + 16 + 2
    full = softmax_cross_entropy(_net().forward(X), Y)[0]
    assert costs[0] == pytest.approx(full)  # weighted by batch size = the full-batch mean
    tr2 = Trainer(_net(), softmax_cross_entropy, SGD(0.1))
    tr2.fit(X, Y, epochs=2, batch_size=16, drop_last=True)
    assert tr2.updates == 6
    for bad_X, bad_Y in ((X[:0], Y[:0]), (X, Y[:10])):
        with pytest.raises(ValueError, match="targets"):
            tr2.fit(bad_X, bad_Y)
