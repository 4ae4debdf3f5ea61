"""Hyperparameter search over training settings.

A master (:func:`embed.tune.runner.run_search`) asks a strategy (random, grid, Bayesian,
evolutionary: :mod:`embed.tune.strategies`) for settings drawn from a search space
(:mod:`embed.tune.space`), runs each as a trial on a local process pool or a Dask cluster
(:mod:`embed.tune.executors`), and appends every result to ``trials.jsonl``
(:mod:`embed.tune.results`). The trial itself trains and scores word vectors
(:mod:`embed.tune.objective`); any picklable ``settings -> score`` callable works too
(:mod:`embed.tune.functions` has cheap ones with known optima). :class:`TuneSearch`
(:mod:`embed.tune.search`) puts it all together on a corpus, as `embed tune` does.

    from embed.tune import load_space, make_strategy, run_search, LocalExecutor, TrialLog
    from embed.tune.functions import Branin, branin_space

    records = run_search(make_strategy("bayes", branin_space(), seed=0, budget=30), Branin(),
                         LocalExecutor(workers=2), TrialLog("out"), n_trials=30)
"""
from embed.tune.executors import DaskExecutor, LocalExecutor, make_executor
from embed.tune.results import TrialLog
from embed.tune.runner import run_search, run_trial
from embed.tune.search import SearchResult, TuneSearch
from embed.tune.space import Param, Space, load_space, space_from_dict
from embed.tune.strategies import (BayesSearch, EvolutionSearch, GridSearch, RandomSearch,
                                   Strategy, make_strategy)

__all__ = ["BayesSearch", "DaskExecutor", "EvolutionSearch", "GridSearch", "LocalExecutor",
           "Param", "RandomSearch", "SearchResult", "Space", "Strategy", "TrialLog", "TuneSearch",
           "load_space", "make_executor", "make_strategy", "run_search", "run_trial",
           "space_from_dict"]
