#!/usr/bin/env python
"""Benchmark `embed train` against gensim's Word2Vec on the same corpus and vocabulary.

Speed: corpus words per second for one epoch, median of --runs runs, ours and gensim's runs
interleaved (the machine may be shared; the ratio is what counts). Quality: after --epochs
epochs, Spearman on wordsim353 and simlex999 and accuracy on questions-words, all computed by
gensim's own evaluation functions on gensim KeyedVectors (ours exported into one). Both tools
get the same vocabulary (ours: UNK + the 49,999 most frequent words; gensim: those 49,999 words
with the same counts, OOV tokens dropped by both), dim 100, window 5, negative 5, sample 1e-3,
the same thread count and the same sentences (10,000-word chunks). ``--hs``: hierarchical
softmax instead of negative sampling in both (gensim hs=1, negative=0; ours --hs --negative 0).

    .venv/bin/python scripts/bench_gensim.py                       # text8 in the data dir
    .venv/bin/python scripts/bench_gensim.py --corpus bench.txt --only speed --runs 5
    .venv/bin/python scripts/bench_gensim.py --corpus bench.txt --only quality --models cbow
    .venv/bin/python scripts/bench_gensim.py --corpus bench.txt --hs

The offline bench corpus (5.4 M words, text8 format): ../shared/bench/make-corpus.sh bench.txt
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time

import numpy as np
from benchlib import default_corpus, require_corpus

SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-3)
SENTENCE = 10_000


def load(corpus: str, vocab_size: int):
    from embed.data.encode import load_corpus

    vocab, ids = load_corpus(corpus, vocab_size=vocab_size, progress=False)
    ids = np.ascontiguousarray(ids)
    words = vocab.words
    # gensim sees the same 10k-word sentences; OOV tokens appear as "UNK", which is not in its
    # vocabulary, so it drops them exactly as it drops any OOV word (and as we do by default).
    sentences = [[words[i] for i in ids[s:s + SENTENCE].tolist()]
                 for s in range(0, len(ids), SENTENCE)]
    return vocab, ids, sentences


def gensim_model(vocab, sentences, model: str, epochs: int, alpha: float, threads: int,
                 seed: int = 1, hs: bool = False):
    from gensim.models import Word2Vec

    m = Word2Vec(vector_size=SETTINGS["dim"], window=SETTINGS["window"],
                 negative=0 if hs else SETTINGS["negative"], sample=SETTINGS["sample"],
                 hs=int(hs),
                 sg=1 if model == "skipgram" else 0, alpha=alpha, min_alpha=alpha * 1e-4,
                 min_count=1, workers=threads, seed=seed, epochs=epochs)
    m.build_vocab_from_freq({w: int(c) for w, c in zip(vocab.words[1:], vocab.counts[1:])},
                            corpus_count=len(sentences))
    t, c = time.perf_counter(), time.process_time()
    m.train(sentences, total_examples=len(sentences), epochs=epochs)
    return m.wv, (time.perf_counter() - t, time.process_time() - c)


def our_model(vocab, ids, model: str, epochs: int, alpha: float, threads: int, kernel: str,
              seed: int = 1, hs: bool = False):
    from embed.w2v.settings import TrainSettings
    from embed.w2v.train import train

    settings = TrainSettings(model=model, epochs=epochs, alpha=alpha, seed=seed, kernel=kernel,
                             **{**SETTINGS, **({"hs": True, "negative": 0} if hs else {})})
    t, c = time.perf_counter(), time.process_time()
    m = train(ids, vocab, settings=settings, threads=threads)
    dt = (time.perf_counter() - t, time.process_time() - c)
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=m.dim)
    kv.add_vectors(m.vocab.words[1:], m.vectors[1:])
    return kv, dt


def scores(kv) -> tuple[float, float, float]:
    from gensim.test.utils import datapath

    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0]
    sl = kv.evaluate_word_pairs(datapath("simlex999.txt"))[1][0]
    an = kv.evaluate_word_analogies(datapath("questions-words.txt"))[0]
    return float(ws), float(sl), float(an)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None, help="a text8-format file [text8 in the data dir]")
    ap.add_argument("--vocab-size", type=int, default=50_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="interleaved 1-epoch speed runs")
    ap.add_argument("--epochs", type=int, default=5, help="epochs for the quality runs")
    ap.add_argument("--only", choices=["speed", "quality"])
    ap.add_argument("--models", default="skipgram,cbow")
    ap.add_argument("--kernel", default="batched", choices=["batched", "classic"])
    ap.add_argument("--seed", type=int, default=1, help="seed for both tools' quality runs")
    ap.add_argument("--hs", action="store_true",
                    help="hierarchical softmax, no negatives (gensim hs=1, negative=0)")
    args = ap.parse_args(argv)
    logging.getLogger("gensim").setLevel(logging.WARNING)
    models = [m for m in args.models.split(",") if m]

    args.corpus = require_corpus(args.corpus or default_corpus())
    vocab, ids, sentences = load(args.corpus, args.vocab_size)
    print(f"corpus {args.corpus}: {len(ids):,} words, vocabulary {len(vocab):,} entries "
          f"(ours incl. UNK; gensim {len(vocab) - 1:,}), threads {args.threads}, "
          f"kernel {args.kernel}, output layer "
          f"{'hierarchical softmax' if args.hs else 'negative sampling'}", flush=True)
    # warm the numba cache / compile outside the timings
    for m in models:
        our_model(vocab, ids[:50_000], m, 1, None, args.threads, args.kernel, hs=args.hs)

    speed, cpu = {}, {}
    if args.only != "quality":
        for m in models:
            ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
            for r in range(args.runs):
                _, (t, c) = our_model(vocab, ids, m, 1, 0.025, args.threads, args.kernel,
                                      hs=args.hs)
                ours.append(len(ids) / t)
                ours_cpu.append(len(ids) / c)
                _, (t, c) = gensim_model(vocab, sentences, m, 1, 0.025, args.threads,
                                         hs=args.hs)
                theirs.append(len(ids) / t)
                theirs_cpu.append(len(ids) / c)
                print(f"  {m} run {r + 1}: ours {ours[-1]:,.0f} w/s, gensim {theirs[-1]:,.0f} w/s"
                      f" (per CPU-second: ours {ours_cpu[-1]:,.0f}, gensim {theirs_cpu[-1]:,.0f})",
                      flush=True)
            speed[m] = (statistics.median(ours), statistics.median(theirs))
            cpu[m] = (statistics.median(ours_cpu), statistics.median(theirs_cpu))

    quality = {}
    if args.only != "speed":
        for m in models:
            gkv, gt = gensim_model(vocab, sentences, m, args.epochs, 0.025, args.threads,
                                   seed=args.seed, hs=args.hs)
            g = scores(gkv)
            okv, ot = our_model(vocab, ids, m, args.epochs, 0.025, args.threads, args.kernel,
                                seed=args.seed, hs=args.hs)
            quality[(m, "same alpha 0.025")] = (scores(okv), g)
            print(f"  {m} {args.epochs} epochs: ours {ot[0]:.0f} s, gensim {gt[0]:.0f} s",
                  flush=True)
            if m == "cbow":  # our default (word2vec.c's 0.05) against gensim's (0.025)
                okv, _ = our_model(vocab, ids, m, args.epochs, None, args.threads, args.kernel,
                                   seed=args.seed, hs=args.hs)
                quality[(m, "defaults: ours 0.05, gensim 0.025")] = (scores(okv), g)

    print()
    print(f"| model | alpha | ours w/s | gensim w/s | ratio | wordsim353 ours / gensim "
          f"| simlex999 ours / gensim | analogy ours / gensim |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    rows = [(m, a) for m in models for a in ("same alpha 0.025",
                                              "defaults: ours 0.05, gensim 0.025")
            if (m, a) in quality or (a == "same alpha 0.025" and m in speed)]
    for m, a in rows:
        s = speed.get(m) if a == "same alpha 0.025" else None
        sp = (f"{s[0]:,.0f} | {s[1]:,.0f} | {s[0] / s[1]:.2f}x" if s else " | | ")
        q = quality.get((m, a))
        qs = (" | ".join(f"{o:.3f} / {g:.3f}" for o, g in zip(*q)) if q else " | | ")
        print(f"| {m} | {a} | {sp} | {qs} |")
    print(f"\n(speed: corpus words/s, 1 epoch, median of {args.runs} interleaved runs; "
          f"quality: {args.epochs} epochs, gensim's evaluate_word_pairs / "
          f"evaluate_word_analogies)")
    for m, (o, g) in cpu.items():
        print(f"{m}: corpus words per CPU-second (all threads), less sensitive to other load: "
              f"ours {o:,.0f}, gensim {g:,.0f}, ratio {o / g:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
