"""`embed tune`: search training settings with random, grid, Bayesian or evolutionary search."""
from __future__ import annotations

import contextlib
import os
import shlex
import signal
import time
from pathlib import Path

import click

from embed.errors import EmbedError
from embed.tune.objective import OBJECTIVES
from embed.tune.strategies import STRATEGIES

# Searched when no --space is given: the settings word2vec users tune first, over ranges where
# each of them matters. Settings the trainer does not know are dropped (see default_space).
DEFAULT_SPACE = {
    "model": {"choices": ["skipgram", "cbow"]},
    "dim": {"low": 50, "high": 300, "log": True},
    "window": {"low": 2, "high": 10},
    "negative": {"low": 2, "high": 15},
    "sample": {"low": 1e-5, "high": 1e-2, "log": True},
    "alpha": {"low": 0.005, "high": 0.1, "log": True},
    "epochs": {"low": 1, "high": 5},
    "lr_schedule": {"choices": ["linear", "constant", "hypergradient"]},
}


def default_space(allowed: set[str] | None = None):
    from embed.tune.space import space_from_dict

    spec = {k: v for k, v in DEFAULT_SPACE.items() if allowed is None or k in allowed}
    return space_from_dict(spec, source="default search space")


def train_command(corpus: str, settings: dict, vocab_size: int, min_count: int) -> str:
    """The best settings as a ready `embed train` command line."""
    args = ["embed", "train", corpus]
    for name, value in sorted(settings.items()):  # the same line whether or not resumed
        if name == "threads":
            continue  # the machine that trains the final model picks its own
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            if value:
                args.append(flag)
            continue
        args += [flag, f"{value:.6g}" if isinstance(value, float) else str(value)]
    if vocab_size != 50_000:
        args += ["--vocab-size", str(vocab_size)]
    if min_count != 1:
        args += ["--min-count", str(min_count)]
    args += ["-o", "model"]
    return " ".join(shlex.quote(a) for a in args)


def share_ids(ids, out: Path) -> Path:
    """DIR/corpus.ids.npy: the encoded corpus the trials memory-map.

    A hard link to the encoder's cache when possible (no copy, and the file survives another
    run dropping that cache as stale while the search goes on), else a copy.
    """
    import numpy as np

    from embed.atomic import atomic_path, save_npy

    target = out / "corpus.ids.npy"
    source = getattr(ids, "filename", None)
    if source and Path(source).is_file():
        try:
            if target.exists() and os.path.samefile(source, target):
                return target
            with atomic_path(target) as tmp:
                os.link(source, tmp)
            return target
        except OSError:
            pass  # another file system: copy below
    save_npy(target, np.asarray(ids, dtype=np.int32))
    return target


def format_table(records: list[dict], names: list[str], n: int = 5) -> str:
    from embed.tune.results import best_records

    best = best_records(records, n)
    if not best:
        return "no trial finished successfully"
    header = ["rank", "trial", "score", "seconds"] + names
    rows = [[str(i + 1), str(r["trial"] + 1), f"{r['score']:.4f}", f"{r['seconds']:.1f}"]
            + [_fmt(r["settings"].get(k)) for k in names] for i, r in enumerate(best)]
    widths = [max(len(h), *(len(row[j]) for row in rows)) for j, h in enumerate(header)]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(header)] + [line(r) for r in rows])


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (a batch system or `kill` stopping the master) cleans up like Ctrl-C: running
    trials are stopped, recorded ones stay."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. called from a test runner's thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_same_corpus(vocab_path: Path, vocab, corpus) -> None:
    """Resumed trials must train on the text the recorded ones trained on, or their scores
    cannot be compared: the corpus file may have been edited since."""
    from embed.data.vocab import Vocabulary

    if Vocabulary.load(vocab_path) != vocab:
        raise EmbedError(f"{corpus} has changed since this search started (its vocabulary "
                         f"differs from {vocab_path}); start a new search with another -o")


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


@click.command(context_settings={"show_default": True})
@click.argument("corpus")
@click.option("--strategy", type=click.Choice(STRATEGIES), default="bayes",
              help="How the master proposes settings.")
@click.option("--space", "space_file", type=click.Path(dir_okay=False),
              help="Search space file (.toml or .json); default: model, dim, window, negative, "
                   "sample, alpha, epochs, lr_schedule.")
@click.option("--trials", type=click.IntRange(min=1), default=20,
              help="Trials in all (finished ones of a resumed search included).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Trials run at once [default: half the cores locally, every worker thread "
                   "of a Dask cluster].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run trials on this Dask scheduler instead of a local process pool.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Training threads per trial [default: cores / workers locally, 1 on Dask].")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Fix the number of epochs of every trial (removes epochs from the space).")
@click.option("--objective", type=click.Choice(OBJECTIVES), default="analogy+pairs",
              help="Score to maximise (heldout-loss: minus the negative-sampling loss on the "
                   "last 5% of the corpus).")
@click.option("--analogies", type=click.Path(dir_okay=False),
              help="Analogy questions file [default: gensim's questions-words.txt].")
@click.option("--pairs", type=click.Path(dir_okay=False),
              help="Word-pair similarity file [default: gensim's wordsim353.tsv].")
@click.option("--max-words", type=click.IntRange(min=1), default=None,
              help="Train every trial on this many words from the start of the corpus only.")
@click.option("--vocab-size", type=click.IntRange(min=2), default=50_000)
@click.option("--min-count", type=click.IntRange(min=1), default=1)
@click.option("--seed", type=int, default=1, help="Seeds the strategy and every trial's training.")
@click.option("--grid-points", type=click.IntRange(min=1), default=None,
              help="Grid: values per range [default: the finest grid that fits --trials].")
@click.option("--population", type=click.IntRange(min=2), default=None,
              help="Evolution: population size [default: trials/4, between 4 and 10].")
@click.option("--patience", type=click.IntRange(min=1), default=5,
              help="Evolution: stop after this many generations without improvement.")
@click.option("--resume", is_flag=True, help="Continue the search recorded in -o DIR.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Where text8 and the encoded-corpus cache live.")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for trials.jsonl, search.json, scores.png.")
def tune(corpus, strategy, space_file, trials, workers, scheduler, threads, epochs, objective,
         analogies, pairs, max_words, vocab_size, min_count, seed, grid_points, population,
         patience, resume, data_dir, out_dir):
    """Search word2vec training settings on CORPUS.

    A master proposes settings; workers (a local process pool, or a Dask cluster with
    --scheduler) train on the corpus, encoded once and memory-mapped by every trial, and report
    a score. Each finished or failed trial is appended to DIR/trials.jsonl at once; --resume
    continues an interrupted search without repeating finished trials.
    """
    from embed.tune.executors import make_executor
    from embed.tune.objective import TrainObjective, train_options
    from embed.tune.plots import plot_scores
    from embed.tune.results import (PLOT, TrialLog, read_search_info, write_search_info)
    from embed.tune.runner import run_search
    from embed.tune.space import Space, load_space
    from embed.tune.strategies import make_strategy

    out = Path(out_dir)
    allowed = train_options()
    if space_file:
        space = load_space(space_file).validate(allowed, source=str(space_file))
    else:
        space = default_space(allowed)
    fixed = dict(space.fixed)
    if epochs is not None:
        fixed["epochs"] = epochs
        params = [p for p in space.params if p.name != "epochs"]
        if not params:
            raise EmbedError("--epochs leaves nothing to search in the space")
        space = Space(params, {k: v for k, v in space.fixed.items() if k != "epochs"})
    fixed.setdefault("seed", seed)
    # A bad evaluation file must stop the search now, not fail every trial after its training.
    from embed.evaluate import read_analogies, read_pairs

    if analogies:
        read_analogies(analogies)
    if pairs:
        read_pairs(pairs)

    log = TrialLog(out)
    info = {
        "corpus": str(Path(corpus).resolve()) if corpus != "-" else corpus,
        "strategy": strategy, "space": space.to_dict(), "fixed": dict(fixed), "objective": objective,
        "analogies": analogies, "pairs": pairs, "max_words": max_words, "vocab_size": vocab_size,
        "min_count": min_count, "seed": seed,
    }
    previous = read_search_info(out)
    if resume and previous is not None:
        for key, value in info.items():
            if previous.get(key) != value:
                raise EmbedError(f"{out} holds a search with a different {key} "
                                 f"({previous.get(key)!r}, now {value!r}); resume it with the "
                                 f"same options or choose another -o")
    elif not resume and log.path.is_file() and log.path.stat().st_size > 0:
        raise EmbedError(f"{out} already holds trials: add --resume to continue that search, "
                         f"or choose another -o")
    # Reach the workers before encoding, which can take minutes: an unreachable scheduler is
    # reported at once and leaves no output directory behind. (A local pool starts its
    # processes only when the first trial is submitted.)
    executor = make_executor(workers, scheduler)
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise EmbedError(f"cannot create {out}: {e.strerror or e}") from None

        from embed.data.encode import load_corpus

        click.echo(f"encoding {corpus} (once, shared by every trial) ...", err=True)
        vocab, ids = load_corpus(corpus, vocab_size=vocab_size, min_count=min_count,
                                 data_dir=data_dir, progress=True)
        vocab_path = out / "vocab.tsv"
        if resume and previous is not None and vocab_path.is_file():
            _check_same_corpus(vocab_path, vocab, corpus)
        ids_path = share_ids(ids, out)
        vocab.save(vocab_path)
    except BaseException:
        executor.close(cancel=True)
        raise
    if max_words and max_words > len(ids):
        max_words = None
    objective_fn = TrainObjective(str(Path(ids_path).resolve()), str(vocab_path.resolve()),
                                  objective, analogies and str(Path(analogies).resolve()),
                                  pairs and str(Path(pairs).resolve()), max_words)

    if threads is None:
        threads = 1 if scheduler else max(1, (os.cpu_count() or 1) // executor.capacity)
    if "threads" in allowed:
        fixed["threads"] = threads
    if not (resume and previous is not None):
        write_search_info(out, info)

    options = {}
    if strategy == "grid" and grid_points:
        options["points"] = grid_points
    if strategy == "evolution":
        options.update(patience=patience)
        if population:
            options["population"] = population
    search = make_strategy(strategy, space, seed=seed, budget=trials, **options)
    n_words = max_words or len(ids)
    click.echo(f"{strategy} search over {', '.join(space.names)}; {trials} trials on "
               f"{executor.describe()}, {threads} training thread(s) each; {n_words:,} words, "
               f"{len(vocab):,}-word vocabulary; objective {objective}", err=True)

    start = time.time()
    resumed = log.read()
    if resumed:
        click.echo(f"resuming: {len(resumed)} trial(s) already recorded in {log.path}", err=True)
    count = [len(resumed)]

    def report(r):
        best = search.best
        count[0] += 1
        head = f"[{count[0]:>3}/{trials}] trial {r['trial'] + 1}:"
        shown = " ".join(f"{k}={_fmt(r['settings'][k])}" for k in space.names)
        if r["status"] == "ok":
            click.echo(f"{head} score {r['score']:.4f} (best {best[1]:.4f})  "
                       f"{r['seconds']:.1f} s  {shown}", err=True)
        else:
            click.echo(f"{head} FAILED {r['error']}  {shown}", err=True)

    with _sigterm_as_interrupt():
        records = run_search(search, objective_fn, executor, log, trials, fixed=fixed,
                             on_record=report)
    if not records:
        raise EmbedError("no trial ran")
    plot_scores({strategy: [(r["trial"], r["score"]) for r in records]}, out / PLOT,
                title=f"{strategy} search on {Path(corpus).name} ({objective})",
                ylabel="minus held-out NS loss" if objective == "heldout-loss"
                else f"score: {objective} (higher is better)")

    n_failed = sum(r["status"] != "ok" for r in records)
    click.echo(f"\n{len(records)} trials ({n_failed} failed), {time.time() - start:.0f} s this run;"
               f" objective {objective}\n")
    click.echo(format_table(records, space.names))
    best = search.best
    if best is not None:
        best_record = max((r for r in records if r["status"] == "ok"), key=lambda r: r["score"])
        click.echo(f"\nbest settings as a command (score {best_record['score']:.4f}):")
        click.echo("  " + train_command(corpus, best_record["settings"], vocab_size, min_count))
    click.echo(f"\ntrials: {log.path}\nplot:   {out / PLOT}")
