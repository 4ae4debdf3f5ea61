"""A whole search of training settings on a corpus: what `embed tune` runs, for Python too.

    from embed.tune.search import TuneSearch

    result = TuneSearch("corpus.txt", "runs/tune", strategy="bayes", trials=20).run(echo=print)
    print(result.report())                    # best trials and the best settings as a command
    result.train_objective({"epochs": 1})     # score other settings exactly as the trials were

`TuneSearch.run` checks the options, takes the directory's lock (one search per directory),
encodes the corpus once and shares the id array with every trial, runs the trials on a local
process pool or a Dask cluster, appends each to ``DIR/trials.jsonl`` as it reports, resumes a
search recorded there, plots the scores and returns a :class:`SearchResult`.
"""
from __future__ import annotations

import contextlib
import os
import shlex
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from embed.errors import EmbedError
from embed.tune.objective import TrainObjective
from embed.tune.space import Space

# Searched when no space is given: the settings word2vec users tune first, over ranges where
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


def default_space(allowed: set[str] | None = None) -> Space:
    from embed.tune.space import space_from_dict

    spec = {k: v for k, v in DEFAULT_SPACE.items() if allowed is None or k in allowed}
    return space_from_dict(spec, source="default search space")


@dataclass
class TuneSearch:
    """The options of one search; :meth:`run` runs it. Each option is `embed tune`'s of the
    same name (see ``embed tune --help``); ``space`` is a Space, a dict in the space-file form,
    a path to a .toml/.json space file, or None for :data:`DEFAULT_SPACE`."""

    corpus: str
    out_dir: str | os.PathLike
    strategy: str = "bayes"
    space: Space | dict | str | os.PathLike | None = None
    trials: int = 20
    workers: int | None = None
    scheduler: str | None = None
    threads: int | None = None
    epochs: int | None = None
    objective: str = "analogy+pairs"
    analogies: str | None = None
    pairs: str | None = None
    max_words: int | None = None
    vocab_size: int = 50_000
    min_count: int = 1
    tokens: str = "words"
    sentences: str = "lines"
    seed: int = 1
    grid_points: int | None = None
    population: int | None = None
    patience: int = 5
    resume: bool = False
    data_dir: str | os.PathLike | None = None
    progress: bool = True  # a progress bar while the corpus is encoded

    def run(self, echo: Callable[[str], None] | None = None) -> "SearchResult":
        """Run (or resume) the search; ``echo`` receives one line per event (None: silent).

        Raises EmbedError (one line) for bad options, a directory another process is writing,
        a write the OS refuses, and when no trial succeeded; every trial recorded stays.
        """
        from embed.evaluate import read_analogies, read_pairs
        from embed.lock import hold_dir_lock
        from embed.tune.executors import make_executor

        say = echo or (lambda line: None)
        space, fixed = self._space()
        # A bad evaluation file must stop the search now, not fail every trial after training.
        if self.analogies:
            read_analogies(self.analogies)
        if self.pairs:
            read_pairs(self.pairs)
        # Reach the workers before encoding, which can take minutes: an unreachable scheduler
        # is reported at once and leaves no output directory behind. (A local pool starts its
        # processes only when the first trial is submitted.)
        executor = make_executor(self.workers, self.scheduler)
        out = Path(self.out_dir)
        try:
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise EmbedError(f"cannot create {out}: {e.strerror or e}") from None
            with hold_dir_lock(out, what="embed tune"):
                return self._run_locked(out, space, fixed, executor, say)
        finally:
            executor.close(cancel=True)  # a no-op after run_search closed it

    def _space(self) -> tuple[Space, dict]:
        from embed.tune.objective import train_options
        from embed.tune.space import load_space, space_from_dict

        allowed = train_options()
        if self.space is None:
            space = default_space(allowed)
        elif isinstance(self.space, Space):
            space = self.space.validate(allowed)
        elif isinstance(self.space, dict):
            space = space_from_dict(self.space).validate(allowed)
        else:
            space = load_space(self.space).validate(allowed, source=str(self.space))
        fixed = dict(space.fixed)
        if self.epochs is not None:
            fixed["epochs"] = self.epochs
            params = [p for p in space.params if p.name != "epochs"]
            if not params:
                raise EmbedError("--epochs leaves nothing to search in the space")
            space = Space(params, {k: v for k, v in space.fixed.items() if k != "epochs"})
        fixed.setdefault("seed", self.seed)
        return space, fixed

    def _info(self, space: Space, fixed: dict) -> dict:
        """What search.json records; resuming with any of it changed is refused."""
        return {
            "corpus": str(Path(self.corpus).resolve()) if self.corpus != "-" else self.corpus,
            "strategy": self.strategy, "space": space.to_dict(), "fixed": dict(fixed),
            "objective": self.objective, "analogies": self.analogies, "pairs": self.pairs,
            "max_words": self.max_words, "vocab_size": self.vocab_size,
            "min_count": self.min_count, "seed": self.seed, "tokens": self.tokens,
            "sentences": self.sentences,
        }

    def _run_locked(self, out: Path, space: Space, fixed: dict, executor, say) -> "SearchResult":
        from embed.data.encode import encode_corpus
        from embed.tune.objective import train_options
        from embed.tune.results import TrialLog, read_search_info, write_search_info
        from embed.tune.runner import run_search

        log = TrialLog(out)
        info = self._info(space, fixed)
        previous = read_search_info(out)
        resumed = self.resume and previous is not None
        if resumed:
            for key, value in info.items():
                if previous.get(key) != value:
                    raise EmbedError(f"{out} holds a search with a different {key} "
                                     f"({previous.get(key)!r}, now {value!r}); resume it with "
                                     f"the same options or choose another -o")
        elif not self.resume and log.path.is_file() and log.path.stat().st_size > 0:
            raise EmbedError(f"{out} already holds trials: add --resume to continue that "
                             f"search, or choose another -o")

        say(f"encoding {self.corpus} (once, shared by every trial) ...")
        got = encode_corpus(self.corpus, vocab_size=self.vocab_size, min_count=self.min_count,
                            tokens=self.tokens, sentences=self.sentences,
                            data_dir=self.data_dir, progress=self.progress)
        vocab, ids = got.vocab, got.ids
        vocab_path = out / "vocab.tsv"
        if resumed and vocab_path.is_file():
            _check_same_corpus(vocab_path, vocab, self.corpus)
        ids_path = share_ids(ids, out)
        ends_path = None
        if got.ends is not None:   # the trials' windows stop at the same sentence ends
            import numpy as np

            from embed.atomic import save_npy

            ends_path = out / "corpus.ends.npy"
            save_npy(ends_path, np.asarray(got.ends, dtype=np.int64))
        vocab.save(vocab_path)
        max_words = self.max_words if self.max_words and self.max_words < len(ids) else None
        objective_fn = TrainObjective(
            str(ids_path.resolve()), str(vocab_path.resolve()), self.objective,
            self.analogies and str(Path(self.analogies).resolve()),
            self.pairs and str(Path(self.pairs).resolve()), max_words,
            ends_path and str(ends_path.resolve()))
        threads = self.threads
        if threads is None:
            threads = 1 if self.scheduler else max(1, (os.cpu_count() or 1) // executor.capacity)
        if "threads" in train_options():
            fixed["threads"] = threads
        if not resumed:
            write_search_info(out, info)

        strategy = self._strategy(space)
        say(f"{self.strategy} search over {', '.join(space.names)}; {self.trials} trials on "
            f"{executor.describe()}, {threads} training thread(s) each; "
            f"{max_words or len(ids):,} words, {len(vocab):,}-word vocabulary; "
            f"objective {self.objective}")
        start = time.time()
        already = log.read()
        if already:
            say(f"resuming: {len(already)} trial(s) already recorded in {log.path}")
        count = [len(already)]

        def report(r):
            count[0] += 1
            head = f"[{count[0]:>3}/{self.trials}] trial {r['trial'] + 1}:"
            shown = " ".join(f"{k}={_fmt(r['settings'][k])}" for k in space.names)
            if r["status"] == "ok":
                say(f"{head} score {r['score']:.4f} (best {strategy.best[1]:.4f})  "
                    f"{r['seconds']:.1f} s  {shown}")
            else:
                say(f"{head} FAILED {r['error']}  {shown}")

        with _sigterm_as_interrupt():
            records = run_search(strategy, objective_fn, executor, log, self.trials, fixed=fixed,
                                 on_record=report)
        result = SearchResult(self, records, space.names, out, time.time() - start, objective_fn)
        if not records:
            raise EmbedError("no trial ran")
        result.plot()
        if result.best is None:
            first = next(r["error"] for r in records if r["status"] != "ok")
            raise EmbedError(f"all {len(records)} trials failed (the first: {first}); see "
                             f"{log.path}")
        return result

    def _strategy(self, space: Space):
        from embed.tune.strategies import make_strategy

        options = {}
        if self.strategy == "grid" and self.grid_points:
            options["points"] = self.grid_points
        if self.strategy == "evolution":
            options["patience"] = self.patience
            if self.population:
                options["population"] = self.population
        return make_strategy(self.strategy, space, seed=self.seed, budget=self.trials, **options)


@dataclass
class SearchResult:
    """Every trial of a finished search (resumed ones first) and what to make of them.

    ``train_objective`` is the objective the trials were scored with (picklable; call it with
    settings to score them the same way, e.g. the trainer's defaults as a baseline).
    """

    search: TuneSearch
    records: list[dict]
    names: list[str]  # the searched settings, in the space's order
    out: Path
    seconds: float  # wall time of this run (not of resumed trials)
    train_objective: TrainObjective = field(repr=False)

    @property
    def best(self) -> dict | None:
        """The best successful trial's record, or None when every trial failed."""
        from embed.tune.results import best_records

        best = best_records(self.records, 1)
        return best[0] if best else None

    @property
    def n_failed(self) -> int:
        return sum(r["status"] != "ok" for r in self.records)

    def table(self, n: int = 5) -> str:
        return format_table(self.records, self.names, n)

    def train_command(self) -> str | None:
        best = self.best
        s = self.search
        return best and train_command(s.corpus, best["settings"], s.vocab_size, s.min_count,
                                      s.max_words, s.tokens, s.sentences)

    def plot(self) -> Path:
        from embed.tune.plots import plot_scores
        from embed.tune.results import PLOT

        s = self.search
        plot_scores({s.strategy: [(r["trial"], r["score"]) for r in self.records]},
                    self.out / PLOT, title=f"{s.strategy} search on {Path(s.corpus).name} "
                                           f"({s.objective})",
                    ylabel="minus held-out NS loss" if s.objective == "heldout-loss"
                    else f"score: {s.objective} (higher is better)")
        return self.out / PLOT

    def report(self) -> str:
        """The summary `embed tune` prints: counts, the best trials, the best as a command."""
        from embed.tune.results import PLOT, TRIALS

        lines = [f"{len(self.records)} trials ({self.n_failed} failed), {self.seconds:.0f} s "
                 f"this run; objective {self.search.objective}", "", self.table()]
        command = self.train_command()
        if command:
            lines += ["", f"best settings as a command (score {self.best['score']:.4f}):",
                      "  " + command]
        lines += ["", f"trials: {self.out / TRIALS}", f"plot:   {self.out / PLOT}"]
        return "\n".join(lines)


def train_command(corpus: str, settings: dict, vocab_size: int, min_count: int,
                  max_words: int | None = None, tokens: str = "words",
                  sentences: str = "lines") -> str:
    """The best settings as a ready `embed train` command line: the same text the trials
    trained on (``--max-words`` when they saw a prefix only)."""
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
    if max_words:
        args += ["--max-words", str(max_words)]
    if tokens != "words":
        args += ["--tokens", tokens]
    if sentences != "lines":
        args += ["--sentences", sentences]
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
            pass  # another file system, or no hard links there: copy below
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
