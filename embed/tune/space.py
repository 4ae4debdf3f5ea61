"""Search spaces: what each training setting may take, read from a TOML or JSON file.

A space file has one entry per setting::

    # space.toml
    model  = { choices = ["skipgram", "cbow"] }       # a list of choices
    dim    = { low = 50, high = 300, log = true }      # integers (both ends integers)
    window = { type = "int", low = 2, high = 10 }      # integers, type spelled out
    sample = { low = 1e-5, high = 1e-2, log = true }   # log-uniform float
    alpha  = { type = "float", low = 0.01, high = 0.1 }# uniform float
    epochs = 3                                          # a fixed value, not searched

The same in JSON is ``{"model": {"choices": ["skipgram", "cbow"]}, "epochs": 3, ...}``.

Every parameter maps to and from the unit interval (its position between ``low`` and ``high``,
on a log scale when ``log``), which is what the Bayesian surrogate and the evolutionary mutation
work in; choices keep their identity (one-hot for the surrogate, resampled by mutation).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from embed.errors import EmbedError
from embed.w2v.settings import MAX_DIM, MAX_EPOCHS, MAX_NEGATIVE, MAX_WINDOW

try:  # Python >= 3.11; on 3.10 space files must be JSON
    import tomllib
except ImportError:  # pragma: no cover - depends on the interpreter
    tomllib = None

_KEYS = {"type", "low", "high", "log", "choices"}

# The training settings' own upper bounds (embed.w2v.settings), checked when the space is read:
# a typo such as negative = 100000000 stops the search before it starts, not in every trial.
SETTING_MAXIMA = {"negative": MAX_NEGATIVE, "window": MAX_WINDOW, "dim": MAX_DIM,
                  "epochs": MAX_EPOCHS}


@dataclass(frozen=True)
class Param:
    """One searched setting: ``kind`` is "float", "int" or "choice"."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    # -- unit-interval mapping (float / int only) ------------------------------------------
    def to_unit(self, value) -> float:
        lo, hi, v = self.low, self.high, float(value)
        if self.log:
            lo, hi, v = math.log(lo), math.log(hi), math.log(v)
        return float(np.clip((v - lo) / (hi - lo), 0.0, 1.0))

    def from_unit(self, u: float):
        u = float(np.clip(u, 0.0, 1.0))
        lo, hi = self.low, self.high
        if u in (0.0, 1.0):  # the ends exactly, not exp(log(high)) = high - 1 ulp
            v = lo if u == 0.0 else hi
        elif self.log:
            v = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            v = lo + u * (hi - lo)
        if self.kind == "int":
            return int(min(max(round(v), self.low), self.high))
        return float(min(max(v, self.low), self.high))

    def sample(self, rng: np.random.Generator):
        if self.kind == "choice":
            return self.choices[int(rng.integers(len(self.choices)))]
        if self.kind == "int":
            # Uniform over the integers (log: uniform over log-spaced bins), each end included.
            if not self.log:
                return int(rng.integers(int(self.low), int(self.high) + 1))
            u = rng.uniform(math.log(self.low - 0.5), math.log(self.high + 0.5))
            return int(min(max(round(math.exp(u)), self.low), self.high))
        return self.from_unit(rng.uniform())

    def grid(self, points: int) -> list:
        """``points`` evenly spaced values (log-spaced when ``log``); all choices for a choice."""
        if self.kind == "choice":
            return list(self.choices)
        values = [self.from_unit(u) for u in np.linspace(0.0, 1.0, max(points, 1))] \
            if points > 1 else [self.from_unit(0.5)]
        out = []
        for v in values:  # an int range narrower than `points` gives each integer once
            if v not in out:
                out.append(v)
        return out


@dataclass
class Space:
    """Searched parameters plus fixed settings; settings are plain dicts name -> value."""

    params: list[Param]
    fixed: dict = field(default_factory=dict)

    def __post_init__(self):
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise EmbedError("search space names a parameter twice")
        if not self.params:
            raise EmbedError("search space has nothing to search (every setting is fixed)")

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def sample(self, rng: np.random.Generator) -> dict:
        return {p.name: p.sample(rng) for p in self.params}

    def grid(self, points: int) -> list[dict]:
        axes = [p.grid(points) for p in self.params]
        return [dict(zip(self.names, combo)) for combo in product(*axes)]

    def grid_size(self, points: int) -> int:
        return int(np.prod([len(p.grid(points)) for p in self.params]))

    def key(self, settings: Mapping) -> tuple:
        """A hashable identity for a setting (floats rounded so JSON round trips compare equal)."""
        out = []
        for p in self.params:
            v = settings[p.name]
            out.append(float(f"{float(v):.10g}") if p.kind == "float" else v)
        return tuple(out)

    def full(self, settings: Mapping) -> dict:
        """The searched settings plus the fixed ones: what a trial actually trains with."""
        return {**self.fixed, **{n: settings[n] for n in self.names}}

    def validate(self, allowed: set[str] | None = None, source: str = "search space") -> "Space":
        """Refuse settings the trainer does not know (``allowed``: the names it takes) and values
        above :data:`SETTING_MAXIMA`, before any trial runs."""
        if allowed is not None:
            unknown = [n for n in sorted(set(self.names) | set(self.fixed)) if n not in allowed]
            if unknown:
                raise EmbedError(f"{source}: unknown setting {unknown[0]!r} "
                                 f"(known: {', '.join(sorted(allowed))})")
        values = {n: [v] for n, v in self.fixed.items()}
        for p in self.params:
            values[p.name] = list(p.choices) if p.kind == "choice" else [p.high]
        for name, most in SETTING_MAXIMA.items():
            for v in values.get(name, ()):
                if isinstance(v, (int, float)) and not isinstance(v, bool) and v > most:
                    raise EmbedError(f"{source}: {name} {v} is too large (at most {most:,})")
        return self

    def to_dict(self) -> dict:
        """The JSON/TOML form this space was read from (fixed values included)."""
        out: dict[str, Any] = {}
        for p in self.params:
            if p.kind == "choice":
                out[p.name] = {"choices": list(p.choices)}
            else:
                out[p.name] = {"type": p.kind, "low": p.low, "high": p.high, "log": p.log}
        out.update(self.fixed)
        return out

    # -- encoding for the Bayesian surrogate ----------------------------------------------
    def numeric(self) -> list[Param]:
        return [p for p in self.params if p.kind != "choice"]

    def categorical(self) -> list[Param]:
        return [p for p in self.params if p.kind == "choice"]


def parse_param(name: str, spec: Any, source: str = "search space") -> Param | None:
    """One entry of a space file -> Param, or None when ``spec`` is a fixed value."""
    where = f"{source}: {name}"
    if not isinstance(spec, Mapping):
        if isinstance(spec, (list, tuple)):
            raise EmbedError(f"{where}: write a list of choices as {{ choices = [...] }}")
        return None
    unknown = set(spec) - _KEYS
    if unknown:
        raise EmbedError(f"{where}: unknown key {sorted(unknown)[0]!r} "
                         f"(expected some of: {', '.join(sorted(_KEYS))})")
    kind = spec.get("type")
    if kind is None:
        if "choices" in spec:
            kind = "choice"
        elif _is_int(spec.get("low")) and _is_int(spec.get("high")):
            kind = "int"
        else:
            kind = "float"
    if kind not in ("float", "int", "choice"):
        raise EmbedError(f"{where}: type must be float, int or choice, got {kind!r}")
    if kind == "choice":
        choices = spec.get("choices")
        if not isinstance(choices, (list, tuple)) or not choices:
            raise EmbedError(f"{where}: choices must be a non-empty list")
        if not all(isinstance(c, (str, int, float, bool)) for c in choices):
            raise EmbedError(f"{where}: choices must be strings, numbers or true/false")
        if set(spec) - {"type", "choices"}:
            raise EmbedError(f"{where}: a choice parameter takes only 'choices'")
        if len({json.dumps(c, sort_keys=True) for c in choices}) != len(choices):
            raise EmbedError(f"{where}: choices repeat a value")
        return Param(name, "choice", choices=tuple(choices))
    if "choices" in spec:
        raise EmbedError(f"{where}: a {kind} range takes low/high, not choices")
    if "low" not in spec or "high" not in spec:
        raise EmbedError(f"{where}: a {kind} range needs both low and high")
    low, high, log = spec["low"], spec["high"], spec.get("log", False)
    for bound in (low, high):
        if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
            raise EmbedError(f"{where}: low and high must be finite numbers, got {bound!r}")
    if kind == "int" and not (_is_int(low) and _is_int(high)):
        raise EmbedError(f"{where}: an int range needs integer low and high")
    if not isinstance(log, bool):
        raise EmbedError(f"{where}: log must be true or false")
    if not low < high:
        raise EmbedError(f"{where}: low ({low}) must be below high ({high})")
    if log and low <= 0:
        raise EmbedError(f"{where}: a log range needs low > 0, got {low}")
    if kind == "int":
        return Param(name, "int", low=int(low), high=int(high), log=log)
    return Param(name, "float", low=float(low), high=float(high), log=log)


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def space_from_dict(data: Any, source: str = "search space") -> Space:
    if not isinstance(data, Mapping):
        raise EmbedError(f"{source}: expected a table of settings at the top level")
    params, fixed = [], {}
    for name, spec in data.items():
        p = parse_param(name, spec, source)
        if p is None:
            fixed[name] = spec
        else:
            params.append(p)
    try:
        return Space(params, fixed)
    except EmbedError as e:
        raise EmbedError(f"{source}: {e}") from None


def load_space(path: str | os.PathLike) -> Space:
    """Read a ``.toml`` or ``.json`` space file (other extensions: JSON, then TOML, is tried)."""
    path = Path(path)
    if not path.is_file():
        raise EmbedError(f"search space file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EmbedError(f"{path}: not a UTF-8 text file") from None
    suffix = path.suffix.lower()
    if suffix == ".toml" or (suffix != ".json" and not text.lstrip().startswith("{")):
        if tomllib is None:
            raise EmbedError(f"{path}: reading TOML needs Python 3.11 or newer; "
                             f"write the space as JSON instead")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise EmbedError(f"{path}: not valid TOML ({e})") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise EmbedError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}, "
                             f"column {e.colno})") from None
    return space_from_dict(data, source=str(path))
