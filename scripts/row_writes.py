#!/usr/bin/env python
"""Which shared-table writes would 16 threads fight over? Row writes per kept word, counted.

Counts, for one epoch of the batched kernels' access pattern (the same subsampling, reduced
windows and negative draws, from the same building blocks), how often each row of the input
table (syn0: context rows) and of the output table (syn1: the positive's row and the negatives'
rows) is written by one block step, and reports per table and source:

- writes per kept word and the share that goes to the 10 / 100 / 1,000 / 10,000 most frequent
  words' rows;
- a contention estimate: with T threads each writing at the same rate, the chance that a write
  finds its row written by another thread within the last D words of that thread is about
  1 - exp(-(T-1) * r * D) for a row written r times per word; summed over rows, the expected
  number of such "contended" row writes per word, and which rows give most of them. A row
  write that another core touched last costs a cache-line transfer per 64 bytes (a 100-float
  row is 7 lines) instead of an L1/L2 hit, which is what a 16-core machine pays.
- how much of a chunk's hot-row traffic the chunk running next to it shares (adjacent chunks,
  as the Hogwild runner hands them out, against chunks half a corpus apart).

    .venv/bin/python scripts/row_writes.py --corpus /work/bench/corpus.txt
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from embed.w2v.sampling import (draw_negative, keep_probabilities, negative_table,  # noqa: E402
                                reduced_window, subsample, window_span)

CHUNK = 10_000


@njit(cache=True)
def count_chunk(ids, ends, keep, table, window, negative, group, sg, seed, buf, lo, hi, ctx_w,
                pos_w, neg_w):
    """Add one chunk's row writes to ctx_w (syn0), pos_w and neg_w (syn1); return kept words.

    Skip-gram: per centre word, each context row once and the positive's and each negative's
    output row once (one HogBatch block at window <= 10). CBOW: per centre word its context
    rows and its positive's row; per group of ``group`` centre words, each shared negative once.
    """
    state = np.uint64(seed)
    n, state = subsample(ids, ends, keep, False, state, buf, lo, hi)
    for i in range(n):
        reach, state = reduced_window(state, window)
        start, stop = window_span(i, reach, lo, hi)
        for j in range(start, stop):
            if j != i:
                ctx_w[buf[j]] += 1
        pos_w[buf[i]] += 1
        if sg or i % group == 0:
            for _ in range(negative):
                t, state = draw_negative(table, state)
                if t != buf[i] or not sg:
                    neg_w[t] += 1
    return n


def count_epoch(ids, counts, model, window=5, negative=5, sample=1e-3, group=6, chunks=None):
    keep = keep_probabilities(counts, sample)
    table = negative_table(counts)
    V = len(counts)
    buf, lo, hi = (np.empty(CHUNK, np.int32) for _ in range(3))
    total = [np.zeros(V, np.int64) for _ in range(3)]
    per_chunk = []
    kept = 0
    starts = range(0, len(ids), CHUNK)
    for c, s in enumerate(starts):
        part = np.ascontiguousarray(ids[s:s + CHUNK])
        ends = np.array([len(part)], np.int32)
        mine = [np.zeros(V, np.int64) for _ in range(3)] if chunks and c in chunks else None
        dst = mine or total
        k = count_chunk(part, ends, keep, table, window, negative, group, model == "skipgram",
                        1 + c, buf, lo, hi, *dst)
        if mine:
            for a, b in zip(total, mine):
                a += b
            per_chunk.append((c, mine, k))
        kept += k
    return kept, total, per_chunk


def contended(rate: np.ndarray, threads: int, horizon: float) -> np.ndarray:
    """Expected contended writes per word, per row (see the module docstring)."""
    return rate * (1.0 - np.exp(-(threads - 1) * rate * horizon))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--models", default="skipgram,cbow")
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args(argv)
    from embed.data.encode import load_corpus

    vocab, ids = load_corpus(args.corpus, progress=False)
    ids = np.ascontiguousarray(ids)
    nchunks = (len(ids) + CHUNK - 1) // CHUNK
    probe = {10, 11, 10 + nchunks // 2}
    for model in args.models.split(","):
        kept, total, per_chunk = count_epoch(ids, vocab.counts, model, chunks=probe)
        print(f"\n{model}: {len(ids):,} words, {kept:,} kept after subsampling; "
              f"row writes per kept word and where they go")
        print("| table: source | writes/word | top 10 | top 100 | top 1,000 | top 10,000 | "
              f"contended/word at {args.threads} threads, D=1 / D=10 words | "
              "share of contended writes in the top 100 rows |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        names = ("syn0: contexts", "syn1: positives", "syn1: negatives")
        for name, w in zip(names, total):
            rate = w / kept
            tot = rate.sum()
            tops = [rate[1:k + 1].sum() / tot for k in (10, 100, 1000, 10000)]
            c1 = contended(rate, args.threads, 1.0)
            c10 = contended(rate, args.threads, 10.0)
            print(f"| {name} | {tot:.2f} | " + " | ".join(f"{t:.0%}" for t in tops)
                  + f" | {c1.sum():.2f} / {c10.sum():.2f} | {c10[1:101].sum() / c10.sum():.0%} |")
        syn1 = total[1] + total[2]
        hot = np.argsort(-syn1)[:5]
        print("most written output rows: " + ", ".join(
            f"{vocab.words[r]} {syn1[r] / kept:.3f}/word" for r in hot))
        hot0 = np.argsort(-total[0])[:5]
        print("most written input rows: " + ", ".join(
            f"{vocab.words[r]} {total[0][r] / kept:.3f}/word" for r in hot0))
        # overlap of two chunks' writes outside the 100 hottest rows: topical words
        (ca, a, _), (cb, b, _), (cc, c, _) = sorted(per_chunk, key=lambda x: x[0])
        for label, x, y in (("adjacent chunks", a, b), ("chunks half a corpus apart", a, c)):
            xs, ys = sum(x)[101:].astype(float), sum(y)[101:].astype(float)
            shared = np.minimum(xs, ys).sum() / max(1.0, xs.sum())
            print(f"{label}: {shared:.0%} of the writes to rows outside the top 100 go to rows "
                  "the other chunk writes as often")
    return 0


if __name__ == "__main__":
    sys.exit(main())
