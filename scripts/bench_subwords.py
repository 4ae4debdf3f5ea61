#!/usr/bin/env python
"""Subword (fastText) model speed: the reference tools' words/s, the anchors for our kernels.

Today this measures Facebook's fastText (the `fasttext-numpy2` package) and gensim's
`FastText` only: embed's subword kernels are not written yet, and their runs will be added
beside these when they are (issue 11 asks for >= 5x fastText and >= 4x gensim).

Settings (issue 11): dim 100, window 5, negative 5, minn 3, maxn 6, bucket 2,000,000,
sample 1e-3, min count 5, 2 threads, 1 epoch, each tool's default learning rate. Each run is
its own process (the 800 MB n-gram tables never share a heap), the tools interleaved, and the
median of --runs is reported. The machine may be shared: compare ratios measured in one run.

- fastText: ``train_unsupervised(corpus)`` reads the file itself (its lines are cut at 1,024
  tokens). The training seconds come from fastText's own final progress line (words/sec/thread
  x threads over the in-vocabulary tokens it counted), so reading the dictionary and filling
  the 800 MB matrix are not counted; the whole call's seconds are printed too.
- gensim: ``FastText(...)`` with ``build_vocab`` untimed, then ``train`` timed, on the corpus
  cut into 10,000-word sentences (as scripts/bench_gensim.py feeds gensim's Word2Vec).

Words/s are corpus words (every token of the file) per training second, for both.

It also times embed's subword table (`embed.subwords.ngrams.subword_table`) for the corpus's
50,000 most frequent words.

    .venv/bin/python scripts/bench_subwords.py [--runs 3] [--models skipgram,cbow]
    .venv/bin/python scripts/bench_subwords.py --only table
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

SETTINGS = dict(dim=100, window=5, negative=5, minn=3, maxn=6, bucket=2_000_000, sample=1e-3,
                min_count=5)
SENTENCE = 10_000


def corpus_words(path: str) -> int:
    with open(path, "rb") as f:
        return len(f.read().split())


def time_subword_table(path: str, size: int = 50_000) -> str:
    """Seconds for embed's subword table (CSR rows of every word) of the corpus's `size` most
    frequent words, compiled beforehand: the setup every subword training run pays."""
    from collections import Counter

    from embed.subwords.ngrams import subword_table

    with open(path, encoding="utf-8") as f:
        words = [w for w, _ in Counter(f.read().split()).most_common(size)]
    subword_table(words[:10], SETTINGS["minn"], SETTINGS["maxn"], SETTINGS["bucket"])
    t = time.perf_counter()
    offsets, ids = subword_table(words, SETTINGS["minn"], SETTINGS["maxn"], SETTINGS["bucket"])
    dt = time.perf_counter() - t
    return (f"subword table of {len(words):,} words: {dt:.3f} s ({len(ids):,} rows, "
            f"{len(ids) / len(words):.1f} per word)")


def worker_fasttext(path: str, model: str, threads: int) -> dict:
    import fasttext

    # fastText prints its progress on the C++ stderr: send fd 2 to a file for this call
    with tempfile.TemporaryFile() as log:
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        try:
            t, c = time.perf_counter(), time.process_time()
            m = fasttext.train_unsupervised(
                path, model=model, dim=SETTINGS["dim"], ws=SETTINGS["window"],
                neg=SETTINGS["negative"], minn=SETTINGS["minn"], maxn=SETTINGS["maxn"],
                bucket=SETTINGS["bucket"], t=SETTINGS["sample"], minCount=SETTINGS["min_count"],
                epoch=1, thread=threads, verbose=2)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    per_thread = [float(x) for x in re.findall(r"words/sec/thread:\s*([0-9.]+)", text)]
    if not per_thread:
        raise SystemExit("fastText printed no progress line:\n" + text[-2000:])
    counts = m.get_words(include_freq=True)[1]
    tokens = int(sum(counts))  # in-vocabulary tokens: what fastText's counter counts
    train_s = tokens / (per_thread[-1] * threads)
    # the part before training (reading the dictionary, filling the matrix) runs on one
    # thread: its CPU seconds are about its wall seconds
    return {"train_s": train_s, "wall_s": wall, "cpu_s": cpu - (wall - train_s),
            "vocab": len(counts)}


def worker_gensim(path: str, model: str, threads: int) -> dict:
    import logging

    from gensim.models import FastText

    logging.getLogger("gensim").setLevel(logging.WARNING)
    with open(path, encoding="utf-8") as f:
        words = f.read().split()
    sentences = [words[s:s + SENTENCE] for s in range(0, len(words), SENTENCE)]
    m = FastText(vector_size=SETTINGS["dim"], window=SETTINGS["window"],
                 negative=SETTINGS["negative"], min_n=SETTINGS["minn"], max_n=SETTINGS["maxn"],
                 bucket=SETTINGS["bucket"], sample=SETTINGS["sample"],
                 min_count=SETTINGS["min_count"], sg=1 if model == "skipgram" else 0, hs=0,
                 workers=threads, epochs=1, seed=1)
    t = time.perf_counter()
    m.build_vocab(corpus_iterable=sentences)
    vocab_s = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    m.train(corpus_iterable=sentences, total_examples=len(sentences), epochs=1)
    train_s, cpu_s = time.perf_counter() - t, time.process_time() - c
    return {"train_s": train_s, "wall_s": vocab_s + train_s, "cpu_s": cpu_s,
            "vocab": len(m.wv)}


def run_worker(tool: str, path: str, model: str, threads: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", tool, "--corpus", path,
                          "--models", model, "--threads", str(threads)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{tool} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="/work/bench/corpus.txt")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="interleaved 1-epoch runs per tool")
    ap.add_argument("--models", default="skipgram,cbow")
    ap.add_argument("--only", choices=["table"], help="only time the subword table")
    ap.add_argument("--worker", choices=["fasttext", "gensim"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    models = [m for m in args.models.split(",") if m]

    if args.worker:
        fn = worker_fasttext if args.worker == "fasttext" else worker_gensim
        print(json.dumps(fn(args.corpus, models[0], args.threads)))
        return 0

    print(time_subword_table(args.corpus), flush=True)
    if args.only == "table":
        return 0
    n = corpus_words(args.corpus)
    print(f"corpus {args.corpus}: {n:,} words; threads {args.threads}; settings {SETTINGS}",
          flush=True)
    table = {}
    for model in models:
        speeds = {"fasttext": [], "gensim": []}
        per_cpu = {"fasttext": [], "gensim": []}
        for r in range(args.runs):
            for tool in ("fasttext", "gensim"):
                res = run_worker(tool, args.corpus, model, args.threads)
                speeds[tool].append(n / res["train_s"])
                per_cpu[tool].append(n / res["cpu_s"])
                print(f"  {model} run {r + 1} {tool}: {speeds[tool][-1]:,.0f} corpus words/s, "
                      f"{per_cpu[tool][-1]:,.0f} per CPU-second (training {res['train_s']:.1f} "
                      f"s, whole call {res['wall_s']:.1f} s, vocabulary {res['vocab']:,})",
                      flush=True)
        table[model] = {t: statistics.median(v) for t, v in speeds.items()}
        table[model].update({t + "_cpu": statistics.median(v) for t, v in per_cpu.items()})

    print()
    print("| model | fastText words/s | gensim FastText words/s | 5x fastText | 4x gensim |")
    print("|---|---:|---:|---:|---:|")
    for model, s in table.items():
        print(f"| {model} | {s['fasttext']:,.0f} | {s['gensim']:,.0f} | "
              f"{5 * s['fasttext']:,.0f} | {4 * s['gensim']:,.0f} |")
    print(f"\n(corpus words per training second, 1 epoch, median of {args.runs} interleaved "
          f"runs, {args.threads} threads; the last two columns are the targets for embed)")
    for model, s in table.items():
        print(f"{model}: corpus words per CPU-second of training (all threads; less sensitive "
              f"to other load): fastText {s['fasttext_cpu']:,.0f}, gensim {s['gensim_cpu']:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
