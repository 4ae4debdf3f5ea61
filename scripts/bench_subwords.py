#!/usr/bin/env python
"""Subword (fastText) models: embed's kernels against gensim's FastText and Facebook's fastText.

Settings (issue 11), the same for the three tools: dim 100, window 5, negative 5, minn 3,
maxn 6, bucket 2,000,000, sample 1e-3, min count 5, 2 threads, each tool's default learning
rate (embed: 0.025 skip-gram, 0.05 CBOW; gensim: 0.025; fastText: 0.05) unless --alpha.
Every run is its own process (the 800 MB n-gram tables never share a heap) and the tools are
interleaved; the median of --runs is reported. The machine may be shared: each run prints the
load average, and the ratios measured in one invocation are what counts.

Speed: corpus words (every token of the file) per second of training, 1 epoch, and per
CPU-second of training (all threads; less sensitive to other load). "Training" excludes
reading the corpus and filling the tables, for every tool:
- fastText: ``train_unsupervised(corpus)``; its seconds come from its own final progress line
  (words/sec/thread x threads over the in-vocabulary tokens it counted).
- gensim: ``FastText.train`` after an untimed ``build_vocab`` (which fills its tables), on the
  corpus cut into 10,000-word sentences.
- embed: ``embed.w2v.train.train`` minus the time of its table start (``fresh_start``), on the
  encoded corpus (encoding untimed, compiled kernels warmed up first).
The whole call (tables and all) is printed beside.

Quality after --epochs: Spearman on wordsim353 and simlex999 and questions-words accuracy by
gensim's ``evaluate_word_pairs`` / ``evaluate_word_analogies`` on a gensim KeyedVectors of each
tool's vocabulary vectors; then the two pair sets scored by ``embed.evaluate.evaluate_pairs``
on each tool's subword vectors (`SubwordVectors`: gensim's tables, fastText's .bin, embed's
model), where a word outside the vocabulary gets its n-gram vector (the share of pairs covered
is printed). Rare words: our subword model against our word model (same settings, maxn 0) on
the pairs of both sets whose rarer word occurs fewer than --rare times in the corpus.

    .venv/bin/python scripts/bench_subwords.py --corpus /work/bench/corpus.txt
    .venv/bin/python scripts/bench_subwords.py --only speed --runs 3 --models cbow
    .venv/bin/python scripts/bench_subwords.py --only quality
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

from benchlib import default_corpus, require_corpus

SETTINGS = dict(dim=100, window=5, negative=5, minn=3, maxn=6, bucket=2_000_000, sample=1e-3,
                min_count=5)
SENTENCE = 10_000
TOOLS = ("embed", "gensim", "fasttext")
PAIR_FILES = ("wordsim353.tsv", "simlex999.txt")


def corpus_words(path: str) -> int:
    with open(path, "rb") as f:
        return len(f.read().split())


def time_subword_table(path: str, size: int = 50_000) -> str:
    """Seconds for embed's subword table of the corpus's `size` most frequent words."""
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


# ---------------------------------------------------------------------------- scoring

def scores(words, vectors, subword_kv) -> dict:
    """gensim's evaluations on the vocabulary vectors; embed's pair scores with n-gram vectors
    for words outside the vocabulary."""
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    from embed.evaluate import evaluate_pairs

    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    out = {"analogy": float(kv.evaluate_word_analogies(datapath("questions-words.txt"))[0])}
    for name in PAIR_FILES:
        key = name.split(".")[0]
        out[key] = float(kv.evaluate_word_pairs(datapath(name))[1][0])
        r = evaluate_pairs(subword_kv, datapath(name))
        out[key + "_subword"] = r["spearman"]
        out[key + "_covered"] = r["pairs"] / (r["pairs"] + r["oov_pairs"])
    return out


def rare_pairs(path: str, rare: int):
    """The pairs of both sets whose rarer word occurs fewer than `rare` times in the corpus,
    with that count."""
    from collections import Counter

    from embed.evaluate import datapath, read_pairs

    with open(path, encoding="utf-8") as f:
        counts = Counter(f.read().split())
    out = []
    for name in PAIR_FILES:
        for a, b, gold in read_pairs(datapath(name)):
            a, b = a.lower(), b.lower()
            low = min(counts[a], counts[b])
            if low < rare:
                out.append((a, b, gold, low))
    return out


def pair_spearman(kv, pairs, null: bool = False) -> tuple[float, int]:
    """Spearman of kv's cosines with the gold scores: over the pairs kv has vectors for, or,
    with ``null``, over every pair, a word without a vector counting as a null vector
    (similarity 0; Bojanowski et al.'s convention for word models on rare words)."""
    from scipy import stats

    gold, got = [], []
    for a, b, score, _ in pairs:
        if a in kv and b in kv:
            gold.append(score)
            got.append(kv.similarity(a, b))
        elif null:
            gold.append(score)
            got.append(0.0)
    return float(stats.spearmanr(gold, got)[0]), len(gold)


def rare_scores(path: str, rare: int, kv) -> dict:
    """A subword model on the rare pairs: those whose words are both in the vocabulary (count
    >= min count: the pairs a word model can score) and all of them."""
    pairs = rare_pairs(path, rare)
    known = [p for p in pairs if p[3] >= SETTINGS["min_count"]]
    return {"pairs": len(pairs), "known": pair_spearman(kv, known),
            "all": pair_spearman(kv, pairs)}


# ---------------------------------------------------------------------------- workers

def worker_fasttext(path, model, threads, epochs, alpha, rare) -> dict:
    import fasttext

    from embed.subwords.vectors import SubwordVectors

    extra = {} if alpha is None else {"lr": alpha}
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "log")
        # fastText prints its progress on the C++ stderr: send fd 2 to a file for the call
        with open(log_path, "wb") as log:
            saved = os.dup(2)
            os.dup2(log.fileno(), 2)
            try:
                t, c = time.perf_counter(), time.process_time()
                m = fasttext.train_unsupervised(
                    path, model=model, dim=SETTINGS["dim"], ws=SETTINGS["window"],
                    neg=SETTINGS["negative"], minn=SETTINGS["minn"], maxn=SETTINGS["maxn"],
                    bucket=SETTINGS["bucket"], t=SETTINGS["sample"],
                    minCount=SETTINGS["min_count"], epoch=epochs, thread=threads, verbose=2,
                    **extra)
                wall, cpu = time.perf_counter() - t, time.process_time() - c
            finally:
                os.dup2(saved, 2)
                os.close(saved)
        text = open(log_path, encoding="utf-8", errors="replace").read()
        per_thread = [float(x) for x in re.findall(r"words/sec/thread:\s*([0-9.]+)", text)]
        if not per_thread:
            raise SystemExit("fastText printed no progress line:\n" + text[-2000:])
        counts = m.get_words(include_freq=True)[1]
        tokens = int(sum(counts)) * epochs  # in-vocabulary tokens: what its counter counts
        train_s = tokens / (per_thread[-1] * threads)
        # reading the dictionary and filling the matrix run on one thread: CPU ~ wall
        out = {"train_s": train_s, "wall_s": wall, "cpu_s": cpu - (wall - train_s),
               "vocab": len(counts)}
        if rare is not None:
            m.save_model(os.path.join(tmp, "m.bin"))
            sv = SubwordVectors.load_fasttext_bin(os.path.join(tmp, "m.bin"))
            out.update(scores(sv.words, sv.vectors, sv))
            out["rare"] = rare_scores(path, rare, sv)
    return out


def worker_gensim(path, model, threads, epochs, alpha, rare) -> dict:
    import logging

    from gensim.models import FastText

    from embed.subwords.vectors import SubwordVectors

    logging.getLogger("gensim").setLevel(logging.WARNING)
    with open(path, encoding="utf-8") as f:
        words = f.read().split()
    sentences = [words[s:s + SENTENCE] for s in range(0, len(words), SENTENCE)]
    m = FastText(vector_size=SETTINGS["dim"], window=SETTINGS["window"],
                 negative=SETTINGS["negative"], min_n=SETTINGS["minn"], max_n=SETTINGS["maxn"],
                 bucket=SETTINGS["bucket"], sample=SETTINGS["sample"],
                 min_count=SETTINGS["min_count"], sg=1 if model == "skipgram" else 0, hs=0,
                 workers=threads, epochs=epochs, seed=1,
                 **({} if alpha is None else {"alpha": alpha, "min_alpha": alpha * 1e-4}))
    t = time.perf_counter()
    m.build_vocab(corpus_iterable=sentences)
    vocab_s = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    m.train(corpus_iterable=sentences, total_examples=len(sentences), epochs=epochs)
    train_s, cpu_s = time.perf_counter() - t, time.process_time() - c
    out = {"train_s": train_s, "wall_s": vocab_s + train_s, "cpu_s": cpu_s, "vocab": len(m.wv)}
    if rare is not None:
        wv = m.wv
        sv = SubwordVectors(wv.index_to_key, wv.vectors_vocab, wv.vectors_ngrams, wv.min_n,
                            wv.max_n)
        out.update(scores(wv.index_to_key, wv.vectors, sv))
        out["rare"] = rare_scores(path, rare, sv)
    return out


def _embed_train(vocab, ids, model, threads, epochs, alpha, maxn):
    """Our model, with the seconds of the whole call and of its table start."""
    from embed.w2v import train as train_module
    from embed.w2v.settings import TrainSettings

    settings = TrainSettings(model=model, dim=SETTINGS["dim"], window=SETTINGS["window"],
                             negative=SETTINGS["negative"], sample=SETTINGS["sample"],
                             epochs=epochs, alpha=alpha, minn=SETTINGS["minn"], maxn=maxn,
                             bucket=SETTINGS["bucket"] if maxn else 0)
    start = train_module.fresh_start
    spent = []

    def timed_start(*args):
        t = time.perf_counter()
        try:
            return start(*args)
        finally:
            spent.append(time.perf_counter() - t)

    train_module.fresh_start = timed_start
    try:
        t, c = time.perf_counter(), time.process_time()
        m = train_module.train(ids, vocab, settings=settings, threads=threads)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        train_module.fresh_start = start
    return m, wall, cpu, spent[0]


def worker_embed(path, model, threads, epochs, alpha, rare) -> dict:
    import numpy as np

    from embed.data.encode import load_corpus

    vocab, ids = load_corpus(path, vocab_size=10 ** 9, min_count=SETTINGS["min_count"],
                             progress=False)
    ids = np.ascontiguousarray(ids)
    _embed_train(vocab, ids[:20_000], model, threads, 1, alpha, SETTINGS["maxn"])  # compile
    m, wall, cpu, init_s = _embed_train(vocab, ids, model, threads, epochs, alpha,
                                        SETTINGS["maxn"])
    # the table start runs on one thread: its CPU seconds are about its wall seconds
    out = {"train_s": wall - init_s, "wall_s": wall, "cpu_s": cpu - init_s,
           "vocab": len(vocab) - 1}
    if rare is not None:
        wv = m.wv
        out.update(scores(wv.words, wv.vectors, wv))
        out["rare"] = rare_scores(path, rare, wv)
        word = _embed_train(vocab, ids, model, threads, epochs, alpha, 0)[0].wv
        pairs = rare_pairs(path, rare)
        known = [p for p in pairs if p[0] in word and p[1] in word]
        out["rare"].update(word_known=pair_spearman(word, known),
                           word_null=pair_spearman(word, pairs, null=True))
    return out


WORKERS = {"embed": worker_embed, "gensim": worker_gensim, "fasttext": worker_fasttext}


def run_worker(tool, args, model, epochs, alpha=None, quality=False) -> dict:
    cmd = [sys.executable, __file__, "--worker", tool, "--corpus", str(args.corpus),
           "--models", model, "--threads", str(args.threads), "--epochs", str(epochs),
           "--rare", str(args.rare)] + (["--alpha", str(alpha)] if alpha else []) + (
        ["--quality"] if quality else [])
    load = os.getloadavg()[0]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{tool} worker failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["load"] = (load + os.getloadavg()[0]) / 2
    return res


# ---------------------------------------------------------------------------- main

def speed(args, n: int) -> None:
    table = {}
    for model in args.models:
        runs = {tool: [] for tool in TOOLS}
        for r in range(args.runs):
            for tool in TOOLS:
                res = run_worker(tool, args, model, 1)
                runs[tool].append(res)
                print(f"  {model} run {r + 1} {tool}: {n / res['train_s']:,.0f} corpus words/s, "
                      f"{n / res['cpu_s']:,.0f} per CPU-second (training {res['train_s']:.1f} s"
                      f", whole call {res['wall_s']:.1f} s, vocabulary {res['vocab']:,}, "
                      f"load {res['load']:.1f})", flush=True)
        table[model] = {t: (statistics.median(n / x["train_s"] for x in v),
                            statistics.median(n / x["cpu_s"] for x in v),
                            statistics.median(n / x["wall_s"] for x in v),
                            statistics.median(x["load"] for x in v)) for t, v in runs.items()}
    print("\n| model | embed words/s | gensim FastText | fastText | vs gensim | vs fastText "
          "| per CPU-s: embed / gensim / fastText | ratios per CPU-s | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model, s in table.items():
        e, g, f = s["embed"], s["gensim"], s["fasttext"]
        load = statistics.mean(x[3] for x in s.values())
        print(f"| {model} | {e[0]:,.0f} | {g[0]:,.0f} | {f[0]:,.0f} | {e[0] / g[0]:.2f}x | "
              f"{e[0] / f[0]:.2f}x | {e[1]:,.0f} / {g[1]:,.0f} / {f[1]:,.0f} | "
              f"{e[1] / g[1]:.2f}x / {e[1] / f[1]:.2f}x | {load:.1f} |")
    print(f"\n(corpus words per training second, 1 epoch, median of {args.runs} interleaved "
          f"runs, {args.threads} threads; targets: >= 4x gensim, >= 5x fastText)")
    for model, s in table.items():
        print(f"{model}: whole call (tables included) words/s: embed {s['embed'][2]:,.0f}, "
              f"gensim {s['gensim'][2]:,.0f}, fastText {s['fasttext'][2]:,.0f}")


def quality(args) -> None:
    rows = []
    for model in args.models:
        runs = [("embed", None), ("gensim", None), ("fasttext", None)]
        if model == "cbow":   # our default rate (0.05) against gensim's (0.025)
            runs.insert(1, ("embed", 0.025))
        for tool, alpha in runs:
            res = run_worker(tool, args, model, args.epochs, alpha, quality=True)
            label = tool + (f" (alpha {alpha})" if alpha else "")
            rows.append((model, label, res))
            print(f"  {model} {label}: {json.dumps({k: v for k, v in res.items()})}", flush=True)
    print(f"\n| model | tool | wordsim353 | simlex999 | analogy | wordsim353 with OOV (covered) "
          f"| simlex999 with OOV (covered) | load |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for model, label, r in rows:
        print(f"| {model} | {label} | {r['wordsim353']:.3f} | {r['simlex999']:.3f} | "
              f"{r['analogy']:.3f} | {r['wordsim353_subword']:.3f} "
              f"({100 * r['wordsim353_covered']:.1f}%) | {r['simlex999_subword']:.3f} "
              f"({100 * r['simlex999_covered']:.1f}%) | {r['load']:.1f} |")
    r0 = next(r for _, label, r in rows if label == "embed")["rare"]
    print(f"\nRare words: the {r0['pairs']} pairs of wordsim353 + simlex999 whose rarer word "
          f"occurs fewer than {args.rare} times in the corpus; 'known': the "
          f"{r0['known'][1]} of them whose words occur at least {SETTINGS['min_count']} times "
          "(in every vocabulary, our word model's too). Spearman:")
    print("\n| model | tool | known pairs | all rare pairs (unknown words: n-grams; word model: "
          "null vectors) |")
    print("|---|---|---:|---:|")
    for model, label, r in rows:
        q = r["rare"]
        if label == "embed":
            print(f"| {model} | embed word model (maxn 0) | {q['word_known'][0]:.3f} | "
                  f"{q['word_null'][0]:.3f} |")
        print(f"| {model} | {label} | {q['known'][0]:.3f} | {q['all'][0]:.3f} |")
    print(f"\n({args.epochs} epochs, {args.threads} threads, each tool's default learning rate "
          "unless shown; gensim's evaluate_word_pairs / evaluate_word_analogies on the "
          "vocabulary vectors; 'with OOV': embed.evaluate.evaluate_pairs, unknown words from "
          "their n-grams)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None, help="a text8-format file [text8 in the data dir]")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="interleaved 1-epoch runs per tool")
    ap.add_argument("--epochs", type=int, default=5, help="epochs for the quality runs")
    ap.add_argument("--models", default="skipgram,cbow")
    ap.add_argument("--rare", type=int, default=50,
                    help="a pair is rare when its rarer word occurs fewer times in the corpus")
    ap.add_argument("--only", choices=["speed", "quality", "table"])
    ap.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    ap.add_argument("--quality", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--alpha", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]

    if args.worker:
        fn = WORKERS[args.worker]
        print(json.dumps(fn(args.corpus, args.models[0], args.threads, args.epochs, args.alpha,
                            args.rare if args.quality else None)))
        return 0

    args.corpus = require_corpus(args.corpus or default_corpus())
    print(time_subword_table(str(args.corpus)), flush=True)
    if args.only == "table":
        return 0
    n = corpus_words(str(args.corpus))
    print(f"corpus {args.corpus}: {n:,} words; threads {args.threads}; settings {SETTINGS}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.only != "quality":
        speed(args, n)
    if args.only != "speed":
        quality(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
