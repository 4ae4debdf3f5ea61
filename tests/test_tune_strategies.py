import numpy as np
import pytest

from embed.errors import EmbedError
from embed.tune.functions import Branin, Quadratic, branin, branin_space
from embed.tune.space import space_from_dict
from embed.tune.strategies import (EvolutionSearch, GridSearch, expected_improvement,
                                   make_strategy)

SPACE = space_from_dict({"x": {"low": -5.0, "high": 5.0}, "y": {"low": -5.0, "high": 5.0},
                         "k": {"low": 1, "high": 20}, "c": {"choices": ["a", "b", "c"]}})
QUAD = Quadratic({"x": 1.3, "y": -2.1, "k": 7, "c": "b"}, scale={"k": 5.0})


def run(strategy, objective, budget):
    n = 0
    while n < budget:
        s = strategy.ask()
        if s is None:
            break
        strategy.tell(s, objective(s))
        n += 1
    return n


def fast(name):
    # fewer EI candidates than the default keep the Bayesian tests quick
    return {"candidates": 400} if name == "bayes" else {}


def best_of(name, seed, budget=30):
    st = make_strategy(name, SPACE, seed=seed, budget=budget, **fast(name))
    run(st, QUAD, budget)
    return st.best[1]


def test_branin_has_its_known_minimum():
    assert branin(np.pi, 2.275) == pytest.approx(0.397887, abs=1e-6)
    assert Branin()({"x1": -np.pi, "x2": 12.275}) == pytest.approx(-0.397887, abs=1e-6)


@pytest.mark.slow
def test_bayes_and_evolution_beat_random_on_a_quadratic():
    seeds = range(3)
    random = np.median([best_of("random", s) for s in seeds])
    bayes = np.median([best_of("bayes", s) for s in seeds])
    evolution = np.median([best_of("evolution", s) for s in seeds])
    assert bayes > random and evolution > random
    assert bayes > -0.5  # close to the optimum 0 within 30 trials


def test_strategies_never_repeat_a_setting_and_grid_covers_the_grid():
    for name in ("random", "grid", "bayes", "evolution"):
        st = make_strategy(name, SPACE, seed=0, budget=25, **fast(name))
        seen = []
        n = run(st, lambda s: (seen.append(SPACE.key(s)), QUAD(s))[1], 25)
        assert len(set(seen)) == len(seen) == n > 0, name
    small = space_from_dict({"a": {"low": 0.0, "high": 1.0}, "m": {"choices": ["x", "y"]}})
    grid = GridSearch(small, budget=None, points=3)
    assert run(grid, lambda s: 0.0, 100) == 6 and grid.done
    assert {(g["a"], g["m"]) for g, _ in grid.observed} == {
        (a, m) for a in (0.0, 0.5, 1.0) for m in "xy"}


def test_grid_fits_the_budget_and_takes_a_spread_subset_when_too_big():
    assert GridSearch(branin_space(), budget=36).points == 6
    big = GridSearch(SPACE, budget=10, points=4)
    asked = [big.ask() for _ in range(10)]
    assert len({SPACE.key(a) for a in asked}) == 10
    assert len({a["c"] for a in asked}) > 1  # not one corner of the grid


def test_failed_trials_count_as_worst_and_the_search_goes_on():
    for name in ("random", "bayes", "evolution", "grid"):
        st = make_strategy(name, SPACE, seed=1, budget=20, **fast(name))
        n = 0
        while n < 20:
            s = st.ask()
            if s is None:
                break
            st.tell(s, None if s["c"] == "a" else QUAD(s))
            n += 1
        assert n == 20 and st.best is not None and st.best[0]["c"] != "a", name


def test_evolution_ranks_replaces_the_worst_and_stops_when_stalled():
    space = space_from_dict({"x": {"low": 0.0, "high": 1.0}, "y": {"low": 0.0, "high": 1.0}})
    evo = EvolutionSearch(space, seed=0, population=6, replace=3, patience=2)
    first = [evo.ask() for _ in range(6)]
    assert evo.ask() is None  # the generation waits for its results
    for s in first:
        evo.tell(s, -abs(s["x"] - 0.5))
    kids = [evo.ask() for _ in range(3)]
    assert all(k is not None for k in kids) and evo.ask() is None
    survivors = sorted(first, key=lambda s: abs(s["x"] - 0.5))[:3]
    assert [m for m, _ in evo.members] == survivors  # the worst three were removed
    for k in kids:
        evo.tell(k, -abs(k["x"] - 0.5))
    assert len(evo.members) == 6
    # a flat objective never improves: done after `patience` generations without progress
    flat = EvolutionSearch(space, seed=0, population=4, patience=2)
    assert run(flat, lambda s: 1.0, 1000) < 1000 and flat.done


def test_evolution_on_a_wide_budget_converges_near_the_optimum():
    evo = make_strategy("evolution", SPACE, seed=3, budget=120)
    run(evo, QUAD, 120)
    assert evo.best[1] > -1.0


def test_bayes_proposals_differ_for_parallel_workers():
    st = make_strategy("bayes", SPACE, seed=0, budget=20, candidates=400)
    run(st, QUAD, 8)
    a, b = st.ask(), st.ask()  # both pending: the second must not repeat the first
    assert SPACE.key(a) != SPACE.key(b)


def test_expected_improvement_prefers_high_mean_and_high_uncertainty():
    ei = expected_improvement(np.array([0.0, 1.0, 0.0]), np.array([0.1, 0.1, 1.0]), 0.5, 0.0)
    assert ei[1] > ei[0] and ei[2] > ei[0]


def test_unknown_strategy_and_bad_evolution_settings():
    with pytest.raises(EmbedError, match="unknown strategy"):
        make_strategy("annealing", SPACE)
    with pytest.raises(EmbedError, match="replaces"):
        EvolutionSearch(SPACE, population=4, replace=4)


@pytest.mark.parametrize("name", ["random", "grid", "bayes", "evolution"])
def test_a_rebuilt_strategy_told_the_finished_trials_never_repeats_them(name):
    first = make_strategy(name, SPACE, seed=5, budget=24, **fast(name))
    run(first, QUAD, 12)
    again = make_strategy(name, SPACE, seed=5, budget=24, **fast(name))
    for s, y in first.observed:
        again.tell(s, y)
    done = {SPACE.key(s) for s, _ in first.observed}
    new = []
    while len(new) < 12:
        s = again.ask()
        if s is None:
            break
        again.tell(s, QUAD(s))
        new.append(SPACE.key(s))
    assert len(new) == 12 and not done & set(new) and len(set(new)) == 12
