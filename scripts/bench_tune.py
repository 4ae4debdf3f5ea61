"""Benchmark the search strategies.

1. Branin (known minimum 0.397887), equal budget of trials, 10 seeds: the median best value
   found by random, grid, Bayesian and evolutionary search, and each one's ratio to random's
   distance from the optimum. Bayesian and evolutionary search must beat random.

       .venv/bin/python scripts/bench_tune.py [--budget 30] [--seeds 10] [--plot branin.png]

2. A 20-trial search on a corpus (short training: 1 epoch on a prefix of the corpus) against
   the trainer's default settings on the same objective, corpus prefix and epochs, run through
   the library `embed tune` uses (:class:`embed.tune.search.TuneSearch`). The search must beat
   the defaults. ``--corpus`` takes any file; the default is text8 in the data directory
   (``embed download``); offline, build the bench corpus with
   ``../shared/bench/make-corpus.sh corpus.txt`` and pass ``--corpus corpus.txt``.

       .venv/bin/python scripts/bench_tune.py --skip-branin [--corpus corpus.txt]
       .venv/bin/python scripts/bench_tune.py --skip-corpus --plot branin.png
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from benchlib import default_corpus, require_corpus

from embed.errors import EmbedError
from embed.tune.functions import BRANIN_MIN, Branin, branin_space
from embed.tune.search import DEFAULT_SPACE, TuneSearch
from embed.tune.strategies import STRATEGIES, make_strategy

# Part 2's space: the default space without lr_schedule=hypergradient (it trains on the layered
# embed.nn path, ~15x slower per word, which would not fit a few-minute benchmark), dims capped at
# 200 and negatives at 10 for the same reason, and alpha up to 0.2 (one short epoch wants a high
# rate). Epochs are fixed by --epochs.
CORPUS_SPACE = {
    **DEFAULT_SPACE,
    "dim": {**DEFAULT_SPACE["dim"], "high": 200},
    "negative": {**DEFAULT_SPACE["negative"], "high": 10},
    "alpha": {**DEFAULT_SPACE["alpha"], "high": 0.2},
    "lr_schedule": {"choices": ["linear", "constant"]},
}


def run_branin(strategy: str, seed: int, budget: int) -> list[float]:
    """Branin values of the trials in order (sequential ask/tell, one trial at a time)."""
    f = Branin()
    st = make_strategy(strategy, branin_space(), seed=seed, budget=budget)
    values = []
    while len(values) < budget:
        s = st.ask()
        if s is None:
            break
        y = f(s)
        st.tell(s, y)
        values.append(-y)
    return values


def branin_table(budget: int, seeds: int, plot: str | None) -> dict:
    curves, bests, secs = {}, {}, {}
    for name in STRATEGIES:
        runs = []
        t = time.perf_counter()
        for seed in range(seeds):
            v = np.minimum.accumulate(run_branin(name, seed, budget))
            runs.append(np.pad(v, (0, budget - len(v)), mode="edge"))
        secs[name] = (time.perf_counter() - t) / seeds
        curves[name] = np.array(runs)
        bests[name] = curves[name][:, -1]
    gap_random = np.median(bests["random"]) - BRANIN_MIN
    print(f"\nBranin (minimum {BRANIN_MIN}), budget {budget} trials, {seeds} seeds")
    print(f"{'strategy':<10} {'median best':>12} {'best':>9} {'worst':>9} {'gap/random gap':>15} "
          f"{'s/search':>9}")
    for name in STRATEGIES:
        b = bests[name]
        gap = np.median(b) - BRANIN_MIN
        print(f"{name:<10} {np.median(b):>12.4f} {b.min():>9.4f} {b.max():>9.4f} "
              f"{gap / gap_random:>15.3f} {secs[name]:>9.2f}")
    for name in ("bayes", "evolution"):
        verdict = "beats" if np.median(bests[name]) < np.median(bests["random"]) else "DOES NOT beat"
        print(f"{name} {verdict} random search")
    if plot:
        from embed.tune.plots import plot_scores

        series = {name: [(i, float(np.median(curves[name][:, i])) - BRANIN_MIN)
                         for i in range(budget)] for name in STRATEGIES}
        plot_scores(series, plot, title=f"Branin, {budget} trials: median over {seeds} seeds of "
                                        f"the best value so far", maximize=False, yscale="log",
                    ylabel="best Branin value - minimum (log scale)")
        print(f"plot: {plot}")
    return {k: float(np.median(v)) for k, v in bests.items()}


def corpus_search(corpus: str, trials: int, workers: int, max_words: int, epochs: int,
                  strategy: str, objective: str, out: str | None, seed: int) -> None:
    out_dir = Path(out or tempfile.mkdtemp(prefix="bench_tune_"))
    spec = dict(CORPUS_SPACE)
    if objective == "heldout-loss":
        spec["model"] = "skipgram"  # CBOW's held-out loss is another task: compare like with like
    search = TuneSearch(corpus, out_dir / "search", strategy=strategy, space=spec, trials=trials,
                        workers=workers, threads=1, epochs=epochs, max_words=max_words,
                        objective=objective, seed=seed,
                        resume=(out_dir / "search" / "trials.jsonl").is_file())
    print(f"\n{trials}-trial {strategy} search on {corpus} into {out_dir / 'search'}", flush=True)
    t = time.perf_counter()
    result = search.run(echo=lambda line: print(line, file=sys.stderr, flush=True))
    search_s = time.perf_counter() - t
    best = result.best

    # The trainer's defaults, scored by the objective the trials were scored with: same encoded
    # corpus, prefix, epochs, seed and evaluation files.
    t = time.perf_counter()
    default = result.train_objective({"epochs": epochs, "seed": seed, "threads": 1})
    default_s = time.perf_counter() - t
    print(f"\n{trials}-trial {strategy} search, {epochs} epoch(s) on the first {max_words:,} words, "
          f"objective {objective}: {search_s:.0f} s with {workers} workers")
    print(f"{'':<22} {'score':>8}  parts")
    parts = lambda m: "  ".join(f"{k} {v:.4f}" for k, v in m.items()  # noqa: E731
                                if k in ("spearman", "accuracy", "heldout_loss"))
    print(f"{'trainer defaults':<22} {default['score']:>8.4f}  {parts(default)}  ({default_s:.0f} s)")
    print(f"{'best of the search':<22} {best['score']:>8.4f}  {parts(best['metrics'])}  "
          f"(trial {best['trial'] + 1}, {best['seconds']:.0f} s)")
    shown = {k: v for k, v in best["settings"].items() if k not in ("threads",)}
    print(f"best settings: {shown}")
    gain = best["score"] - default["score"]
    print(f"search {'beats' if gain > 0 else 'DOES NOT beat'} the defaults by {gain:+.4f}")
    print(f"plot: {result.out / 'scores.png'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--plot", default=None, help="PNG of the median best-so-far per strategy")
    ap.add_argument("--skip-branin", action="store_true")
    ap.add_argument("--skip-corpus", action="store_true", help="only the Branin table")
    ap.add_argument("--corpus", default=None,
                    help="any corpus file [default: text8 in the data directory]")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-words", type=int, default=2_000_000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--strategy", default="bayes", choices=STRATEGIES)
    ap.add_argument("--objective", default="analogy+pairs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None, help="keep the search here (default: a temp dir); "
                                                "an existing one is resumed")
    args = ap.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    corpus = str(args.corpus or default_corpus())
    if not args.skip_corpus:
        require_corpus(corpus)  # before minutes of Branin, not after
    if not args.skip_branin:
        branin_table(args.budget, args.seeds, args.plot)
    if not args.skip_corpus:
        try:
            corpus_search(corpus, args.trials, args.workers, args.max_words, args.epochs,
                          args.strategy, args.objective, args.out, args.seed)
        except EmbedError as e:
            sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
