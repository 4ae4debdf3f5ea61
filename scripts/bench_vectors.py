"""Benchmark embed.vectors against gensim on realistic vectors.

    .venv/bin/python scripts/bench_vectors.py [--corpus /work/bench/corpus.txt] [--runs 5]
                                              [--eval]

Vectors: gensim's Word2Vec trained on the corpus (dim 100), the 50,000 most frequent words,
stored as an `embed train` model directory (UNK at row 0, dropped on load) under
``data/bench-vectors`` and reused by later runs (``--retrain`` to redo it).

Measured, in interleaved runs (ours, gensim, ours, ...), median reported:
  1. most_similar for 1,000 query words, top 10: ours `most_similar_batch` (chunked matrix
     products + a numba top-k selection) vs gensim's `most_similar` in a loop, which is gensim's fastest
     public route (it has no batched query API). Both have their unit-norm caches filled first.
     Our own one-at-a-time loop is shown too.
  2. Loading a 50,000-word word2vec binary file written by gensim: ours `load_vectors` (format
     detected) vs gensim's `KeyedVectors.load_word2vec_format(binary=True)`; the text file too.
With --eval, also the analogy (questions-words, 30,000 words) and wordsim353 scores, ours vs
gensim's `evaluate_word_analogies` / `evaluate_word_pairs`: figures and time (one run each).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embed import modeldir  # noqa: E402
from embed.data.vocab import UNK, Vocabulary  # noqa: E402
from embed.vectors import load_vectors  # noqa: E402

N_WORDS = 50_000
DIM = 100


def build_model_dir(corpus: Path, out: Path, epochs: int = 2) -> None:
    """Train gensim on the corpus and save its top 50,000 words as a model directory."""
    from gensim.models import Word2Vec

    from embed.data.corpus import iter_tokens

    tokens = list(iter_tokens(corpus))
    sentences = [tokens[i:i + 1000] for i in range(0, len(tokens), 1000)]
    print(f"training gensim Word2Vec on {len(tokens):,} words (dim {DIM}, {epochs} epochs)...",
          flush=True)
    t = time.perf_counter()
    model = Word2Vec(sentences, vector_size=DIM, window=5, min_count=3, negative=5, sg=0,
                     workers=os.cpu_count() or 2, epochs=epochs, seed=1)
    print(f"  trained in {time.perf_counter() - t:.0f} s; {len(model.wv):,} words", flush=True)
    wv = model.wv
    if len(wv) < N_WORDS:
        raise SystemExit(f"the corpus gives only {len(wv)} words with min_count 3")
    words = list(wv.index_to_key[:N_WORDS])
    counts = [int(wv.get_vecattr(w, "count")) for w in words]
    unk = len(tokens) - sum(counts)
    vectors = np.vstack([np.zeros((1, DIM), np.float32), wv.vectors[:N_WORDS]])
    modeldir.save(out, modeldir.ModelFiles(
        vectors=vectors, vocab=Vocabulary([UNK] + words, [unk] + counts),
        settings={"model": "cbow (gensim)", "dim": DIM, "window": 5, "epochs": epochs}))


def interleaved(fns: dict, runs: int) -> dict:
    times = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path("/work/bench/corpus.txt"))
    ap.add_argument("--model", type=Path, default=ROOT / "data" / "bench-vectors")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--retrain", action="store_true")
    ap.add_argument("--eval", action="store_true", help="also compare the evaluation scores")
    args = ap.parse_args()

    from gensim.models import KeyedVectors as GensimKV

    if args.retrain or not modeldir.is_model_dir(args.model):
        build_model_dir(args.corpus, args.model)
    kv = load_vectors(args.model)
    assert kv.vectors.shape == (N_WORDS, DIM), kv.vectors.shape
    g = GensimKV(DIM)
    g.add_vectors(kv.words, kv.vectors)
    print(f"vectors: {len(kv):,} x {kv.dim} from {args.model}")

    rng = np.random.default_rng(0)
    queries = [kv.words[i] for i in rng.choice(20_000, 1_000, replace=False)]
    kv.normed  # noqa: B018 - both sides fill their norm caches before timing
    g.fill_norms()
    ours = kv.most_similar_batch(queries, topn=10)
    theirs = [g.most_similar(q, topn=10) for q in queries]
    same = sum([w for w, _ in a] == [w for w, _ in b] for a, b in zip(ours, theirs))
    print(f"most_similar: {same}/1000 answer lists identical to gensim's")

    t = interleaved({
        "ours batched": lambda: kv.most_similar_batch(queries, topn=10),
        "gensim loop": lambda: [g.most_similar(q, topn=10) for q in queries],
        "ours loop": lambda: [kv.most_similar(q, topn=10) for q in queries],
    }, args.runs)
    print(f"\nmost_similar, 1,000 queries, top 10, vocabulary {len(kv):,} x {kv.dim} "
          f"(median of {args.runs}):")
    for name, s in t.items():
        print(f"  {name:<13} {s * 1000:8.1f} ms   gensim / this = "
              f"{t['gensim loop'] / s:6.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        binary, text = Path(tmp) / "v.bin", Path(tmp) / "v.txt"
        g.save_word2vec_format(str(binary), binary=True)
        g.save_word2vec_format(str(text), binary=False)
        back = load_vectors(binary)
        assert back.words == kv.words and np.array_equal(back.vectors, kv.vectors)
        t = interleaved({
            "ours binary": lambda: load_vectors(binary),
            "gensim binary": lambda: GensimKV.load_word2vec_format(str(binary), binary=True),
            "ours text": lambda: load_vectors(text),
            "gensim text": lambda: GensimKV.load_word2vec_format(str(text), binary=False),
        }, args.runs)
        print(f"\nload a {len(kv):,}-word word2vec file (binary {binary.stat().st_size / 1e6:.1f} MB, "
              f"text {text.stat().st_size / 1e6:.1f} MB; median of {args.runs}):")
        for kind in ("binary", "text"):
            o, r = t[f"ours {kind}"], t[f"gensim {kind}"]
            print(f"  {kind:<6} ours {o * 1000:8.1f} ms   gensim {r * 1000:8.1f} ms   "
                  f"ratio gensim/ours = {r / o:6.2f}x")

    if args.eval:
        from embed.evaluate import datapath, evaluate_analogies, evaluate_pairs

        s = time.perf_counter()
        ours = evaluate_analogies(kv, restrict_vocab=30_000)
        t_ours = time.perf_counter() - s
        s = time.perf_counter()
        score, sections = g.evaluate_word_analogies(str(datapath("questions-words.txt")),
                                                    restrict_vocab=30_000)
        t_gensim = time.perf_counter() - s
        n = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
        print(f"\nanalogies (questions-words, 30,000 words): ours {ours['accuracy']:.4f} "
              f"({ours['correct']}/{ours['total']}) in {t_ours:.1f} s; gensim {score:.4f} "
              f"({len(sections[-1]['correct'])}/{n}) in {t_gensim:.1f} s "
              f"({t_gensim / t_ours:.1f}x)")
        for name in ("wordsim353.tsv", "simlex999.txt"):
            o = evaluate_pairs(kv, datapath(name))
            p, sp, oov = g.evaluate_word_pairs(str(datapath(name)))
            print(f"{name}: ours spearman {o['spearman']:.4f} pearson {o['pearson']:.4f} "
                  f"oov {100 * o['oov']:.1f}%; gensim spearman {sp[0]:.4f} pearson {p[0]:.4f} "
                  f"oov {oov:.1f}%")


if __name__ == "__main__":
    main()
