#!/usr/bin/env python
"""Thread scaling: embed and gensim at 1..16 threads, against N one-thread processes of embed.

Speed (the default): for each thread count T, one epoch of skip-gram and CBOW (dim 100, window
5, negative 5, sample 1e-3, alpha 0.025, 10,000-word sentences, the same 50,000-entry
vocabulary for both tools) by embed with T threads on one pair of tables, by gensim with T
workers, and by T independent embed processes of one thread each (each its own tables, see
``ceiling.py``): the hardware's ceiling, what T cores give when threads do not slow each other.
Printed per T: words/s (wall clock), the ratio to gensim, the efficiency against the ceiling
(ours / ceiling) and words per CPU-second. Runs are interleaved (every tool at every T, then
again) and the medians of ``--runs`` rounds are shown. Each measurement trains on the first W
words of the corpus, W sized from a short calibration so the whole benchmark fits
``--budget-seconds`` (the same W for every tool at a given T and model).

``--variant LABEL:KEY=VALUE[,KEY=VALUE]`` adds an embed configuration to compare (a remedy on
or off): a lower-case KEY is a training setting (``--variant window:context_rows=window``, the
per-thread context rows of ``embed.w2v.window_rows``), an upper-case one an environment
variable set while that configuration trains.

``--quality`` instead trains 5 epochs (``--epochs``) at 1 and 16 threads (``--quality-threads``)
with each model's default settings and prints wordsim353 / simlex999 Spearman and
questions-words accuracy (gensim's evaluation files, so gensim must be importable) and the
difference to the first thread count. 16 threads on 2 cores are time-sliced, but they hold 16
chunks in flight at once, which is the staleness a chunk-level replica scheme would see on 16
cores.

Here (a venv with gensim):
    .venv/bin/python scripts/bench_threads.py --corpus /work/bench/corpus.txt --threads 1,2
    .venv/bin/python scripts/bench_threads.py --corpus /work/bench/corpus.txt --quality

On a 16-core machine without gensim and without network (Python 3.12 with numpy, numba, scipy,
scikit-learn, click, tqdm, matplotlib), from the repository root, with the carried wheels of
gensim 4.4.0, smart_open and wrapt (cp312, manylinux x86_64) in the ignored folder ``.whl/`` and
the gzipped bench corpus in ``bench/corpus.txt.gz`` (``scripts/carry_bench.sh`` makes both):
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl \
        && export PYTHONPATH=/tmp/site && python3 scripts/bench_threads.py
(about 3 minutes; ``--quick`` for about one). Without the wheels the benchmark says in one line
that gensim is missing and prints embed's own figures and the ceiling.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))          # runs from a plain checkout, embed not installed
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import default_corpus, require_corpus  # noqa: E402
from ceiling import ProcessPool, timed_training  # noqa: E402

SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-3, alpha=0.025)
SENTENCE = 10_000
CARRIED = ROOT / "bench" / "corpus.txt.gz"
MIN_WORDS = 200_000
CALIBRATE_WORDS = 300_000


def gensim_status() -> str | None:
    """None when gensim imports, else why not (one line)."""
    try:
        import gensim  # noqa: F401
    except Exception as e:  # ImportError, or a broken install of its dependencies
        return f"{type(e).__name__}: {e}"
    return None


def parse_variants(specs: list[str]) -> list[tuple[str, dict, dict]]:
    """[(label, settings overrides, environment)]; the first is embed as it is."""
    from embed.w2v.settings import TrainSettings

    out = [("ours", {}, {})]
    for spec in specs:
        label, _, body = spec.partition(":")
        fields, env = {}, {}
        for item in filter(None, body.split(",")):
            key, eq, value = item.partition("=")
            if not eq or not label:
                sys.exit(f"error: --variant {spec!r}: expected LABEL:KEY=VALUE[,KEY=VALUE]")
            if key.isupper():
                env[key] = value
            elif key in TrainSettings.names():
                default = getattr(TrainSettings(), key)
                fields[key] = (value.lower() in ("1", "true", "yes") if isinstance(default, bool)
                               else float(value) if default is None else type(default)(value))
            else:
                sys.exit(f"error: --variant {spec!r}: {key!r} is neither a training setting "
                         "nor an (upper-case) environment variable")
        out.append((label, fields, env))
    return out


class Environment:
    """Set environment variables for the duration of a block (the kernels read them at start)."""

    def __init__(self, env: dict):
        self.env, self.saved = env, {}

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def ours(vocab, ids, model, threads, fields=None, env=None, epochs=1):
    """(words/s, words per CPU-second, the model) for one run of embed (its epochs timed)."""
    from embed.w2v.settings import TrainSettings

    st = TrainSettings(model=model, epochs=epochs, **{**SETTINGS, **(fields or {})})
    with Environment(env or {}):
        t, c, m = timed_training(vocab, ids, st, threads)
    return len(ids) * epochs / t, len(ids) * epochs / c, m


def theirs(vocab, sentences, words, model, threads):
    """(words/s, words per CPU-second) for one epoch of gensim on the first ``words`` words."""
    from bench_gensim import gensim_model

    sent = sentences[:words // SENTENCE]
    _, (t, c) = gensim_model(vocab, sent, model, 1, SETTINGS["alpha"], threads)
    return words / t, words / c


def plan_words(rates: dict, n_words: int, slots: int, seconds: float) -> int:
    """Words per measurement so that one round of this (model, T) slot's tools takes
    ``seconds / slots``: the same W for every tool, a multiple of the sentence length."""
    per_word = sum(1.0 / r for r in rates.values())
    w = int(seconds / slots / per_word)
    return int(min(n_words, max(MIN_WORDS, w)) // SENTENCE * SENTENCE)


def speed(args, vocab, ids, sentences, variants):
    thread_counts = args.threads
    have_gensim = sentences is not None
    print("calibrating (1 thread, first 300,000 words) ...", flush=True)
    cal = {}
    for model in args.models:
        head = ids[:CALIBRATE_WORDS]
        ours(vocab, head[:50_000], model, 1)   # compile / load the kernels outside timings
        cal[(model, "ours")] = ours(vocab, head, model, 1)[0]
        if have_gensim:
            cal[(model, "gensim")] = theirs(vocab, sentences, CALIBRATE_WORDS, model, 1)[0]

    # Expected rate of each tool at T threads: the calibration times T at an assumed 60 %
    # efficiency (ceiling: 90 %); the plan only sizes the slices, the figures are measured.
    slots = len(args.models) * len(thread_counts) * args.runs
    budget = max(10.0, args.budget_seconds - 20.0 - 3.0 * len(args.models))
    words = {}
    for model in args.models:
        for T in thread_counts:
            eff = 1.0 if T == 1 else 0.6
            rates = {label: cal[(model, "ours")] * T * eff for label, _, _ in variants}
            rates["ceiling"] = cal[(model, "ours")] * T * (1.0 if T == 1 else 0.9)
            if have_gensim:
                rates["gensim"] = cal[(model, "gensim")] * T * eff
            words[(model, T)] = plan_words(rates, len(ids), slots, budget)

    tmp = tempfile.TemporaryDirectory(prefix="bench-threads-")
    ids_path = Path(tmp.name) / "ids.npy"
    np.save(ids_path, ids)
    pool = ProcessPool(max(thread_counts), ids_path, vocab)
    results: dict = {}
    try:
        for model in args.models:   # warm every process's kernels
            pool.run(max(thread_counts), 0, 50_000 * max(thread_counts),
                     {"model": model, "epochs": 1, **SETTINGS})
        for r in range(args.runs):
            for T in thread_counts:
                for model in args.models:
                    W = words[(model, T)]
                    part = ids[:W]
                    row = []
                    for label, fields, env in variants:
                        w, c, _ = ours(vocab, part, model, T, fields, env)
                        results.setdefault((model, T, label), []).append((w, c))
                        row.append(f"{label} {w:,.0f}")
                    if have_gensim:
                        w, c = theirs(vocab, sentences, W, model, T)
                        results.setdefault((model, T, "gensim"), []).append((w, c))
                        row.append(f"gensim {w:,.0f}")
                    w, c = pool.run(T, 0, W, {"model": model, "epochs": 1, **SETTINGS})
                    results.setdefault((model, T, "ceiling"), []).append((w, c))
                    row.append(f"ceiling {w:,.0f}")
                    print(f"  round {r + 1} {model} {T} threads, {W:,} words: "
                          + ", ".join(row) + " w/s", flush=True)
    finally:
        pool.close()
        tmp.cleanup()
    report(args, variants, results, have_gensim, words)


def median(results, key, i=0):
    vals = results.get(key)
    return statistics.median(v[i] for v in vals) if vals else None


def report(args, variants, results, have_gensim, words):
    labels = [label for label, _, _ in variants]
    print()
    for model in args.models:
        head = ["threads", "words"]
        for label in labels:
            head += [f"{label} w/s"] + (["ratio to gensim"] if have_gensim else []) + [
                "efficiency"]
        head += (["gensim w/s"] if have_gensim else []) + ["ceiling w/s"]
        head += [f"{label} w/CPU-s" for label in labels] + ["ceiling w/CPU-s"]
        head += [f"{label} CPU efficiency" for label in labels]
        print(f"{model}:")
        print("| " + " | ".join(head) + " |")
        print("|" + "---:|" * len(head))
        for T in args.threads:
            ceil = median(results, (model, T, "ceiling"))
            g = median(results, (model, T, "gensim"))
            cells = [str(T), f"{words[(model, T)]:,}"]
            for label in labels:
                o = median(results, (model, T, label))
                cells.append(f"{o:,.0f}")
                if have_gensim:
                    cells.append(f"{o / g:.2f}x")
                cells.append(f"{o / ceil:.0%}")
            if have_gensim:
                cells.append(f"{g:,.0f}")
            cells.append(f"{ceil:,.0f}")
            cpu_ceil = median(results, (model, T, "ceiling"), 1)
            cells += [f"{median(results, (model, T, label), 1):,.0f}" for label in labels]
            cells.append(f"{cpu_ceil:,.0f}")
            cells += [f"{median(results, (model, T, label), 1) / cpu_ceil:.0%}"
                      for label in labels]
            print("| " + " | ".join(cells) + " |")
        print()
    print(f"(words/s: corpus words per wall-clock second, 1 epoch, median of {args.runs} "
          f"interleaved rounds; ceiling: T one-thread embed processes with their own tables, "
          f"each training 1/T of the same words; efficiency: ours / ceiling; w/CPU-s: words per "
          f"CPU-second of all threads, less disturbed by other load (CPU efficiency: the same "
          f"ratio per CPU-second: below 100 % the threads spend CPU time waiting on each "
          f"other's rows); {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at the end)")


def quality(args, vocab, ids, variants):
    from embed.evaluate import datapath, evaluate_analogies, evaluate_pairs
    from embed.w2v.settings import TrainSettings
    from embed.w2v.train import train

    print(f"| model | variant | threads | wordsim353 | simlex999 | analogy | "
          f"difference to {args.quality_threads[0]} thread(s) | seconds |")
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for model in args.models:
        for label, fields, env in variants:
            first = None
            for T in args.quality_threads:
                st = TrainSettings(model=model, epochs=args.epochs,
                                   **{**SETTINGS, "alpha": None, **fields})
                t = time.perf_counter()
                with Environment(env):
                    m = train(ids, vocab, settings=st, threads=T, notify=lambda message: None)
                t = time.perf_counter() - t
                kv = m.wv
                s = (evaluate_pairs(kv, datapath("wordsim353.tsv"))["spearman"],
                     evaluate_pairs(kv, datapath("simlex999.txt"))["spearman"],
                     evaluate_analogies(kv)["accuracy"])
                first = first or s
                diff = " / ".join(f"{a - b:+.3f}" for a, b in zip(s, first))
                print(f"| {model} | {label} | {T} | {s[0]:.3f} | {s[1]:.3f} | {s[2]:.3f} | "
                      f"{diff} | {t:.0f} |", flush=True)
    print(f"\n({args.epochs} epochs, each model's default settings (alpha: skip-gram 0.025, "
          f"CBOW 0.05), dim 100, window 5, negative 5, sample 1e-3, seed 1; scored as gensim "
          f"scores: Spearman, analogy accuracy on the 30,000 most frequent words)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None,
                    help="a text8-format file, plain or gzipped [bench/corpus.txt.gz if present, "
                         "else text8 in the data dir]")
    ap.add_argument("--vocab-size", type=int, default=50_000)
    ap.add_argument("--threads", default=None,
                    help="comma-separated thread counts [those of 1,2,4,8,16 that fit the CPUs]")
    ap.add_argument("--models", default="skipgram,cbow")
    ap.add_argument("--runs", type=int, default=3, help="interleaved rounds (medians shown)")
    ap.add_argument("--budget-seconds", type=float, default=180.0,
                    help="about how long the speed benchmark may take [180]")
    ap.add_argument("--quick", action="store_true", help="one round in about 60 seconds")
    ap.add_argument("--variant", action="append", default=[],
                    help="LABEL:KEY=VALUE[,...]: another embed configuration to compare "
                         "(upper-case KEY: environment variable, lower-case: training setting)")
    ap.add_argument("--quality", action="store_true",
                    help="score vectors trained at --quality-threads instead of timing")
    ap.add_argument("--quality-threads", default="1,16")
    ap.add_argument("--epochs", type=int, default=5, help="epochs for --quality")
    ap.add_argument("--no-gensim", action="store_true", help="leave gensim out even if present")
    args = ap.parse_args(argv)
    logging.getLogger("gensim").setLevel(logging.WARNING)
    cores = os.cpu_count() or 1
    args.threads = ([int(t) for t in args.threads.split(",")] if args.threads
                    else [t for t in (1, 2, 4, 8, 16) if t <= cores])
    args.quality_threads = [int(t) for t in args.quality_threads.split(",")]
    args.models = [m for m in args.models.split(",") if m]
    if args.quick:
        args.runs, args.budget_seconds = 1, min(args.budget_seconds, 60.0)
    variants = parse_variants(args.variant)

    missing = "left out (--no-gensim)" if args.no_gensim else gensim_status()
    if missing:
        print(f"gensim is missing ({missing}): embed's figures and the ceiling only; to compare, "
              "install the carried wheels: python3 -m pip install -q --no-index --no-deps "
              "--target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site", flush=True)
        if args.quality:
            sys.exit("error: --quality scores with gensim's evaluation files; gensim is needed")

    corpus = args.corpus or (CARRIED if CARRIED.is_file() else default_corpus())
    corpus = require_corpus(corpus)
    from embed.data.encode import load_corpus

    t = time.perf_counter()
    vocab, ids = load_corpus(str(corpus), vocab_size=args.vocab_size, progress=False)
    ids = np.ascontiguousarray(ids)
    print(f"corpus {corpus}: {len(ids):,} words, vocabulary {len(vocab):,} "
          f"(read in {time.perf_counter() - t:.1f} s); {cores} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; threads {','.join(map(str, args.threads))}", flush=True)
    if args.quality:
        return quality(args, vocab, ids, variants)
    sentences = None
    if not missing:
        words = vocab.words
        sentences = [[words[i] for i in ids[s:s + SENTENCE].tolist()]
                     for s in range(0, len(ids), SENTENCE)]
    speed(args, vocab, ids, sentences, variants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
