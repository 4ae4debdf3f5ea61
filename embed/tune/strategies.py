"""Search strategies behind one interface: ``ask()`` -> settings, ``tell(settings, score)``.

Every strategy maximises ``score``. A failed trial is told with ``score=None`` and counts as the
worst result. ``ask()`` returns ``None`` when the strategy cannot propose anything until some
outstanding trials report back (the evolutionary search waits for its generation), or when it is
``done`` (grid exhausted, evolution stalled).

Strategies never propose a setting they have already handed out or been told about. That is also
how ``--resume`` works: the search is rebuilt with the same seed and told the finished trials,
so random and grid search skip exactly the settings that already ran.
"""
from __future__ import annotations

import math
import warnings
from typing import Mapping

import numpy as np
from threadpoolctl import threadpool_limits

from embed.errors import EmbedError
from embed.tune.space import Param, Space

STRATEGIES = ("random", "grid", "bayes", "evolution")


class Strategy:
    name = "base"

    def __init__(self, space: Space, seed: int = 0, budget: int | None = None):
        self.space = space
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.budget = budget
        self.observed: list[tuple[dict, float | None]] = []  # told, in order
        self.pending: dict[tuple, dict] = {}                   # asked, not yet told
        self.seen: set[tuple] = set()
        self.done = False

    def ask(self) -> dict | None:
        if self.done:
            return None
        settings = self._propose()
        if settings is not None:
            key = self.space.key(settings)
            self.pending[key] = settings
            self.seen.add(key)
        return settings

    def tell(self, settings: Mapping, score: float | None) -> None:
        settings = {n: settings[n] for n in self.space.names}
        key = self.space.key(settings)
        asked = self.pending.pop(key, None) is not None
        self.seen.add(key)
        if score is not None and not math.isfinite(score):
            score = None
        self.observed.append((settings, score))
        self._told(settings, score, asked)

    @property
    def best(self) -> tuple[dict, float] | None:
        ok = [(s, y) for s, y in self.observed if y is not None]
        return max(ok, key=lambda sy: sy[1]) if ok else None

    # -- for subclasses -------------------------------------------------------------------
    def _propose(self) -> dict | None:
        raise NotImplementedError

    def _told(self, settings: dict, score: float | None, asked: bool) -> None:
        """``asked`` is False for results told without an ask(): trials of a resumed search."""

    def _fresh_sample(self, tries: int = 200) -> dict | None:
        """A random setting not seen before; None (and done) when the space seems exhausted."""
        for _ in range(tries):
            s = self.space.sample(self.rng)
            if self.space.key(s) not in self.seen:
                return s
        self.done = True
        return None


class RandomSearch(Strategy):
    """Independent draws from the space (log-uniform where the space says ``log``)."""

    name = "random"

    def _propose(self):
        return self._fresh_sample()


class GridSearch(Strategy):
    """Every combination of ``points`` values per range (all choices of a choice parameter).

    Without ``points``, the finest grid that fits the budget is used. When the grid still has
    more points than the budget, a seeded random subset of it is tried, in random order, so a
    short search spreads over the whole grid rather than sweeping one corner.
    """

    name = "grid"

    def __init__(self, space, seed=0, budget=None, points: int | None = None):
        super().__init__(space, seed, budget)
        if points is None:
            points = 2
            if budget:
                while points < 64 and space.grid_size(points + 1) <= budget:
                    points += 1
            else:
                points = 5
        if points < 1:
            raise EmbedError(f"grid points per range must be at least 1, got {points}")
        self.points = points
        grid = space.grid(points)
        if budget and len(grid) > budget:
            grid = [grid[i] for i in self.rng.permutation(len(grid))]
        self._grid = grid
        self._next = 0

    def _propose(self):
        while self._next < len(self._grid):
            s = self._grid[self._next]
            self._next += 1
            if self.space.key(s) not in self.seen:
                return dict(s)
        self.done = True
        return None


class BayesSearch(Strategy):
    """Gaussian-process Bayesian optimisation with expected improvement.

    Surrogate: scikit-learn's ``GaussianProcessRegressor``, kernel constant x Matern(nu=2.5,
    one length scale per input) + white noise, fitted to the scores of all finished trials.
    Inputs are the unit-interval positions of the ranges plus a one-hot code per choice
    parameter. The acquisition, expected improvement over the best score so far, is maximised
    over ``candidates`` random settings, half drawn from the whole space and half perturbed
    around the best trials. Trials still running are fed to the surrogate at the worst score
    seen ("constant liar") so that parallel workers get different proposals. Failed trials count
    as the worst score.
    """

    name = "bayes"

    def __init__(self, space, seed=0, budget=None, n_initial: int | None = None,
                 candidates: int = 2000, xi: float = 0.01):
        super().__init__(space, seed, budget)
        from sklearn.preprocessing import OneHotEncoder

        d = len(space.params)
        self.n_initial = n_initial if n_initial is not None else max(4, min(10, d + 2))
        self.candidates = candidates
        self.xi = xi
        self._cat = space.categorical()
        self._num = space.numeric()
        self._onehot = None
        if self._cat:
            self._onehot = OneHotEncoder(categories=[list(range(len(p.choices))) for p in self._cat],
                                         sparse_output=False)
            self._onehot.fit(np.zeros((1, len(self._cat)), dtype=int))

    def encode(self, settings_list: list[Mapping]) -> np.ndarray:
        """Settings -> float array [n, n_numeric + sum(len(choices))] in [0, 1]."""
        num = np.array([[p.to_unit(s[p.name]) for p in self._num] for s in settings_list],
                       dtype=float).reshape(len(settings_list), len(self._num))
        if not self._cat:
            return num
        idx = np.array([[_choice_index(p, s[p.name]) for p in self._cat] for s in settings_list],
                       dtype=int).reshape(len(settings_list), len(self._cat))
        return np.hstack([num, self._onehot.transform(idx)])

    def _propose(self):
        ok = [(s, y) for s, y in self.observed if y is not None]
        if len(ok) < self.n_initial:
            return self._fresh_sample()
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        worst = min(y for _, y in ok)
        xs = [s for s, _ in self.observed] + list(self.pending.values())
        ys = np.array([y if y is not None else worst for _, y in self.observed]
                      + [worst] * len(self.pending), dtype=float)
        X = self.encode(xs)
        kernel = (ConstantKernel(1.0, (1e-3, 1e3))
                  * Matern(length_scale=np.full(X.shape[1], 0.3), length_scale_bounds=(1e-2, 1e2),
                           nu=2.5)
                  + WhiteKernel(1e-4, (1e-8, 1e-1)))
        gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2,
                                      random_state=int(self.rng.integers(2**31)))
        cands = self._candidates(ok)
        if not cands:
            return self._fresh_sample()
        # The matrices are tiny: a multi-threaded BLAS only spins against the trials' threads
        # (tenfold slower on a busy machine), so the surrogate runs on one thread.
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(X, ys)
            mu, sigma = gp.predict(self.encode(cands), return_std=True)
        best = max(y for _, y in ok)
        ei = expected_improvement(mu, sigma, best, self.xi * max(float(np.std(ys)), 1e-12))
        return cands[int(np.argmax(ei))]

    def _candidates(self, ok) -> list[dict]:
        n_global = self.candidates // 2
        out = [self.space.sample(self.rng) for _ in range(n_global)]
        top = sorted(ok, key=lambda sy: -sy[1])[:5]
        for i in range(self.candidates - n_global):
            parent = top[i % len(top)][0]
            scale = (0.02, 0.05, 0.15)[i % 3]
            out.append(perturb(self.space, parent, self.rng, scale, flip=0.1))
        keep, keys = [], set()
        for s in out:
            k = self.space.key(s)
            if k not in self.seen and k not in keys:
                keys.add(k)
                keep.append(s)
        return keep


class EvolutionSearch(Strategy):
    """The seed's evolutionary search.

    1. a population of ``population`` random settings is evaluated (fitness = score);
    2. the population is ranked and its worst ``replace`` members are removed;
    3. as many children are made from the survivors, each by crossover of two parents picked by
       binary tournament (every setting from one parent or the other; ranges sometimes blended)
       and mutation (a Gaussian step in the unit interval for ranges, another value for choices);
    4. the children are evaluated and join the population; repeat from 2 until the trial budget
       runs out or the best fitness has not improved for ``patience`` generations.
    A generation's children are handed out together, so ``workers`` trials run in parallel; the
    next generation waits until all of them report.
    """

    name = "evolution"

    def __init__(self, space, seed=0, budget=None, population: int | None = None,
                 replace: int | None = None, patience: int = 5, sigma: float = 0.15):
        super().__init__(space, seed, budget)
        if population is None:
            population = 8 if not budget else int(min(10, max(4, budget // 4)))
        if population < 2:
            raise EmbedError(f"evolution needs a population of at least 2, got {population}")
        self.population = population
        self.replace = replace if replace is not None else max(1, population // 2)
        if not 1 <= self.replace < population:
            raise EmbedError(f"evolution replaces 1..{population - 1} members per generation, "
                             f"got {self.replace}")
        self.patience = patience
        self.sigma = sigma
        self.generation = 0
        self.stale = 0
        self._best_fitness = -math.inf
        self.members: list[tuple[dict, float]] = []  # evaluated population: (settings, fitness)
        self._queue: list[dict] = []
        self._initial_left = population

    def _propose(self):
        if not self._queue and self._initial_left > 0:
            s = self._fresh_sample()
            if s is not None:
                self._initial_left -= 1
            return s
        if not self._queue:
            if self.pending:
                return None  # wait for this generation's children
            self._next_generation()
            if self.done or not self._queue:
                return None
        return self._queue.pop(0)

    def _told(self, settings, score, asked):
        self.members.append((settings, -math.inf if score is None else score))
        if not asked and self._initial_left > 0:
            self._initial_left -= 1  # a resumed trial takes a place in the first population

    def _next_generation(self):
        ranked = sorted(self.members, key=lambda sf: -sf[1])
        best = ranked[0][1] if ranked else -math.inf
        if best > self._best_fitness + 1e-12 * max(1.0, abs(best)):
            self._best_fitness, self.stale = best, 0
        else:
            self.stale += 1
            if self.stale >= self.patience:
                self.done = True
                return
        survivors = ranked[: self.population - self.replace]
        self.members = list(survivors)
        self.generation += 1
        children: list[dict] = []
        keys = set()
        for _ in range(self.replace):
            for _attempt in range(50):
                a, b = self._tournament(survivors), self._tournament(survivors)
                child = mutate(self.space, crossover(self.space, a, b, self.rng), self.rng,
                               self.sigma)
                k = self.space.key(child)
                if k not in self.seen and k not in keys:
                    keys.add(k)
                    children.append(child)
                    break
        if not children:
            self.done = True  # nothing new can be bred: a small discrete space is used up
        self._queue = children

    def _tournament(self, ranked: list[tuple[dict, float]]) -> dict:
        if len(ranked) == 1:
            return ranked[0][0]
        i, j = self.rng.choice(len(ranked), size=2, replace=False)
        return ranked[min(i, j)][0]  # ranked best first: the lower index is the fitter


def _choice_index(p: Param, value) -> int:
    for i, c in enumerate(p.choices):
        if c == value:
            return i
    raise EmbedError(f"{p.name}: {value!r} is not one of {list(p.choices)}")


def expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float) -> np.ndarray:
    """EI of a maximisation: E[max(f - best - xi, 0)] for f ~ N(mu, sigma^2)."""
    from scipy.stats import norm

    sigma = np.maximum(sigma, 1e-12)
    imp = mu - best - xi
    z = imp / sigma
    return imp * norm.cdf(z) + sigma * norm.pdf(z)


def perturb(space: Space, settings: Mapping, rng: np.random.Generator, scale: float,
            flip: float) -> dict:
    """A neighbour: ranges moved by N(0, scale) in the unit interval, choices redrawn w.p. flip."""
    out = {}
    for p in space.params:
        v = settings[p.name]
        if p.kind == "choice":
            out[p.name] = p.sample(rng) if rng.uniform() < flip else v
        else:
            out[p.name] = p.from_unit(_reflect(p.to_unit(v) + rng.normal(0.0, scale)))
    return out


def crossover(space: Space, a: Mapping, b: Mapping, rng: np.random.Generator) -> dict:
    """Uniform crossover; a range is blended (BLX-0.25) instead half of the time."""
    out = {}
    for p in space.params:
        if p.kind != "choice" and rng.uniform() < 0.5:
            ua, ub = p.to_unit(a[p.name]), p.to_unit(b[p.name])
            w = rng.uniform(-0.25, 1.25)
            out[p.name] = p.from_unit(_reflect(ua + w * (ub - ua)))
        else:
            out[p.name] = a[p.name] if rng.uniform() < 0.5 else b[p.name]
    return out


def mutate(space: Space, settings: Mapping, rng: np.random.Generator, sigma: float) -> dict:
    """Each setting mutates with probability 1/d (at least one always does)."""
    d = len(space.params)
    hit = rng.uniform(size=d) < 1.0 / d
    hit[rng.integers(d)] = True
    out = dict(settings)
    for p, h in zip(space.params, hit):
        if not h:
            continue
        if p.kind == "choice":
            if len(p.choices) > 1:
                others = [c for c in p.choices if c != settings[p.name]]
                out[p.name] = others[int(rng.integers(len(others)))]
        else:
            out[p.name] = p.from_unit(_reflect(p.to_unit(settings[p.name])
                                               + rng.normal(0.0, sigma)))
    return out


def _reflect(u: float) -> float:
    """Fold a unit-interval position back inside [0, 1] (mirror at the ends)."""
    u = abs(u) % 2.0
    return 2.0 - u if u > 1.0 else u


def make_strategy(name: str, space: Space, seed: int = 0, budget: int | None = None,
                  **options) -> Strategy:
    classes = {"random": RandomSearch, "grid": GridSearch, "bayes": BayesSearch,
               "evolution": EvolutionSearch}
    if name not in classes:
        raise EmbedError(f"unknown strategy {name!r} (choose from {', '.join(STRATEGIES)})")
    return classes[name](space, seed=seed, budget=budget, **options)
