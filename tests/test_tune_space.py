import json
import re

import numpy as np
import pytest

from embed.errors import EmbedError
from embed.tune.space import load_space, space_from_dict

TOML = """
model  = { choices = ["skipgram", "cbow"] }
dim    = { low = 50, high = 300, log = true }
window = { type = "int", low = 2, high = 10 }
sample = { low = 1e-5, high = 1e-2, log = true }
alpha  = { type = "float", low = 0.01, high = 0.1 }
epochs = 3
"""


def test_toml_and_json_give_the_same_space(tmp_path):
    (tmp_path / "s.toml").write_text(TOML)
    space = load_space(tmp_path / "s.toml")
    (tmp_path / "s.json").write_text(json.dumps(space.to_dict()))
    again = load_space(tmp_path / "s.json")
    assert again.params == space.params and again.fixed == {"epochs": 3}
    kinds = {p.name: (p.kind, p.log) for p in space.params}
    assert kinds == {"model": ("choice", False), "dim": ("int", True), "window": ("int", False),
                     "sample": ("float", True), "alpha": ("float", False)}


def test_samples_stay_in_range_and_log_ranges_spread_over_decades():
    space = space_from_dict({"dim": {"low": 50, "high": 300, "log": True},
                             "sample": {"low": 1e-5, "high": 1e-2, "log": True},
                             "model": {"choices": ["skipgram", "cbow"]}})
    rng = np.random.default_rng(0)
    draws = [space.sample(rng) for _ in range(2000)]
    dims = np.array([d["dim"] for d in draws])
    samples = np.array([d["sample"] for d in draws])
    assert dims.dtype.kind == "i" and dims.min() >= 50 and dims.max() <= 300
    assert samples.min() >= 1e-5 and samples.max() <= 1e-2
    # log-uniform: about a third of the draws in each decade
    assert 0.28 < np.mean(samples < 1e-4) < 0.39
    assert {d["model"] for d in draws} == {"skipgram", "cbow"}


def test_grid_uses_log_spacing_and_each_integer_once():
    space = space_from_dict({"sample": {"low": 1e-4, "high": 1e-2, "log": True},
                             "window": {"low": 1, "high": 2}})
    grid = space.grid(3)
    assert sorted({round(g["sample"], 8) for g in grid}) == [1e-4, 1e-3, 1e-2]
    assert sorted({g["window"] for g in grid}) == [1, 2]
    assert len(grid) == 6 == space.grid_size(3)


def test_unit_interval_round_trip():
    space = space_from_dict({"a": {"low": 1e-3, "high": 1.0, "log": True}, "b": {"low": 2, "high": 9}})
    for p in space.params:
        for u in (0.0, 0.37, 1.0):
            v = p.from_unit(u)
            assert p.from_unit(p.to_unit(v)) == v


@pytest.mark.parametrize("text, message", [
    ('dim = { low = 300, high = 50 }', "must be below"),
    ('sample = { low = 0.0, high = 0.1, log = true }', "log range needs low > 0"),
    ('dim = { low = 50 }', "needs both low and high"),
    ('model = { choices = [] }', "non-empty list"),
    ('model = ["skipgram", "cbow"]', "choices = "),
    ('dim = { low = 50, high = 300, step = 5 }', "unknown key 'step'"),
    ('dim = { type = "integer", low = 1, high = 3 }', "type must be"),
    ('dim = { type = "int", low = 1.5, high = 3 }', "integer low and high"),
    ('model = { choices = ["cbow", "cbow"] }', "repeat"),
    ('dim = { low = "a", high = 3 }', "finite numbers"),
    ('model = { choices = [[1, 2], 3] }', "strings, numbers"),
    ('epochs = 3', "nothing to search"),
    ('dim = { low = 50, high = ', "not valid TOML"),
])
def test_bad_space_files_raise_one_line_errors(tmp_path, text, message):
    path = tmp_path / "space.toml"
    path.write_text(text + "\n")
    with pytest.raises(EmbedError, match=message) as e:
        load_space(path)
    assert "\n" not in str(e.value) and "space.toml" in str(e.value)


def test_bad_json_and_missing_file(tmp_path):
    (tmp_path / "s.json").write_text('{"dim": {"low": 1,}}')
    with pytest.raises(EmbedError, match="not valid JSON .* line 1"):
        load_space(tmp_path / "s.json")
    (tmp_path / "list.json").write_text('[1, 2]')
    with pytest.raises(EmbedError, match="top level"):
        load_space(tmp_path / "list.json")
    with pytest.raises(EmbedError, match="not found"):
        load_space(tmp_path / "nope.toml")


def test_unknown_setting_names_are_rejected():
    space = space_from_dict({"dimm": {"low": 1, "high": 3}})
    with pytest.raises(EmbedError, match="unknown setting 'dimm'"):
        space.validate({"dim", "window"})


@pytest.mark.parametrize("spec, message", [
    ({"negative": 100_000_000, "dim": {"low": 8, "high": 16}},
     "negative 100000000 is too large (at most 1,000)"),
    ({"window": {"low": 2, "high": 20_000}}, "window 20000 is too large (at most 10,000)"),
    ({"dim": {"choices": [100, 50_000]}}, "dim 50000 is too large (at most 10,000)"),
])
def test_absurd_negative_window_and_dim_are_refused(spec, message):
    from embed.tune.space import MAX_DIM, MAX_NEGATIVE, MAX_WINDOW

    assert (MAX_NEGATIVE, MAX_WINDOW, MAX_DIM) == (1000, 10_000, 10_000)
    with pytest.raises(EmbedError, match="^" + re.escape(f"space.toml: {message}") + "$"):
        space_from_dict(spec).validate(source="space.toml")
    # the largest sensible values themselves pass
    space_from_dict({"negative": 1000, "window": {"low": 1, "high": 10_000},
                     "dim": {"choices": [10_000]}}).validate()
