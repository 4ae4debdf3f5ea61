"""Cheap objectives with known optima, for benchmarks and tests of the search machinery.

Each is a picklable callable ``settings -> score`` (higher is better), so it can run in a local
process pool or on Dask workers exactly like the real training objective.
"""
from __future__ import annotations

import math
import os
import time
from typing import Mapping

from embed.tune.space import Space, space_from_dict

BRANIN_MIN = 0.397887  # reached at (-pi, 12.275), (pi, 2.275) and (9.42478, 2.475)


def branin(x1: float, x2: float) -> float:
    """The Branin-Hoo function on x1 in [-5, 10], x2 in [0, 15] (three global minima)."""
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def branin_space() -> Space:
    return space_from_dict({"x1": {"low": -5.0, "high": 10.0}, "x2": {"low": 0.0, "high": 15.0}})


class Branin:
    """Score = -branin(x1, x2); the best possible score is -0.397887."""

    best = -BRANIN_MIN

    def __call__(self, settings: Mapping) -> float:
        return -branin(float(settings["x1"]), float(settings["x2"]))


class Quadratic:
    """Score = -(sum of squared distances to ``optimum``); 0 at the optimum.

    Ranges contribute ``(value - optimum)**2`` (divided by ``scale[name]`` squared when given),
    choices 0 when equal to the optimum's value and 1 otherwise. ``fail_when`` (name -> value)
    makes matching settings raise, to exercise failed-trial handling; ``crash_when`` makes them
    kill the worker process outright (as an out-of-memory kill would); ``sleep`` seconds make a
    trial take time, to exercise parallel workers and interruption.
    """

    def __init__(self, optimum: Mapping, scale: Mapping | None = None,
                 fail_when: Mapping | None = None, crash_when: Mapping | None = None,
                 sleep: float = 0.0):
        self.optimum = dict(optimum)
        self.scale = dict(scale or {})
        self.fail_when = dict(fail_when or {})
        self.crash_when = dict(crash_when or {})
        self.sleep = sleep

    def __call__(self, settings: Mapping) -> float:
        if self.fail_when and all(settings.get(k) == v for k, v in self.fail_when.items()):
            raise RuntimeError(f"synthetic failure for {self.fail_when}")
        if self.crash_when and all(settings.get(k) == v for k, v in self.crash_when.items()):
            os._exit(3)
        if self.sleep:
            time.sleep(self.sleep)
        total = 0.0
        for name, target in self.optimum.items():
            v = settings[name]
            if isinstance(target, (int, float)) and not isinstance(target, bool):
                total += ((float(v) - target) / self.scale.get(name, 1.0)) ** 2
            else:
                total += 0.0 if v == target else 1.0
        return -total
