#!/usr/bin/env python
"""Count + encode a corpus with embed vs gensim's build_vocab: seconds and peak memory.

    python scripts/bench_corpus.py [--corpus FILE ...] [--tokens words] [--runs 3]
                                   [--gensim-path text8corpus]

Default corpus: text8 in the data directory (``embed download``); ``--corpus`` takes any files,
e.g. /work/bench/corpus.txt or a non-English one made by scripts/make-multilingual-corpus.sh.
Each measurement runs in its own process under ``/usr/bin/time -v`` (peak RSS from there;
without it, the process reports its own ``ru_maxrss``). Seconds are timed inside the process
around the work only, so interpreter start-up and imports (gensim's are slow) do not count
against either side.

- embed cold: ``encode_corpus(copy, tokens=RULE, progress=False)`` with no cache: tokenize by
  the rule, count, build the 50,000-entry vocabulary, encode to int32 ids with sentence ends,
  hash the file, write the cache.
- embed warm: the same call again, answered from the cache (stat check, memory-mapped ids).
- embed warm after touch: the file's times changed first, so the cache is checked by hashing
  the file's bytes (SHA-256) before it is used.
- gensim: ``Word2Vec(vector_size=100, min_count=1, max_final_vocab=50000)`` then
  ``build_vocab(...)`` (scan, trim to 50k, allocate weights). gensim does not encode: it
  re-tokenizes every epoch, so this comparison leaves out work that embed does. It splits on
  whitespace and does not lowercase, so on other text than text8 the two vocabularies differ.

Runs are interleaved (embed, gensim, embed, ...) after one untimed warm-up of each, and the
median of ``--runs`` is reported. The corpus is copied to a temporary directory first so that
embed's cache never lands beside the original file.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENSIM_PATHS = {
    "text8corpus": "build_vocab(corpus_iterable=Text8Corpus(path))",
    "corpus_file": "build_vocab(corpus_file=path)",
    "linesentence": "build_vocab(corpus_iterable=LineSentence(path))",
}
TIME = "/usr/bin/time"


# ---------------------------------------------------------------- workers (one per process)

def _peak_self_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker_embed(path: str, mode: str, tokens: str) -> dict:
    from embed.data.encode import encode_corpus

    p = Path(path)
    if mode == "cold":
        for old in p.parent.glob(p.name + ".*"):  # drop any cache: a cold run
            old.unlink()
    elif mode == "touched":
        st = p.stat()
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    t = time.perf_counter()
    c = encode_corpus(p, tokens=tokens, progress=False)
    last = int(c.ids[-1])  # touch the data
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "tokens": len(c.ids), "vocab": len(c.vocab), "last": last}


def worker_gensim(path: str, how: str) -> dict:
    import logging

    logging.disable(logging.CRITICAL)
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence, Text8Corpus

    model = Word2Vec(vector_size=100, min_count=1, max_final_vocab=50_000)
    t = time.perf_counter()
    if how == "text8corpus":
        model.build_vocab(corpus_iterable=Text8Corpus(path))
    elif how == "corpus_file":
        model.build_vocab(corpus_file=path)
    else:
        model.build_vocab(corpus_iterable=LineSentence(path))
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "tokens": int(model.corpus_total_words), "vocab": len(model.wv)}


# ---------------------------------------------------------------- driver

def measure(args: list[str]) -> dict:
    """Run this script as a worker in a fresh process; return its figures plus peak MB."""
    cmd = [sys.executable, __file__, "--worker", *args]
    use_time = os.access(TIME, os.X_OK)
    if use_time:
        cmd = [TIME, "-v", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"worker {args} failed:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if use_time:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        result["peak_mb"] = int(m.group(1)) / 1024
        result["peak_from"] = "/usr/bin/time -v"
    else:
        result["peak_mb"] = result["self_peak_mb"]
        result["peak_from"] = "ru_maxrss of the process itself"
    return result


def bench(corpus: Path, runs: int, how: str, tokens: str, tmp: Path) -> dict:
    copy = tmp / corpus.name
    shutil.copyfile(corpus, copy)
    size_mb = copy.stat().st_size / 1e6
    cold = ["embed", str(copy), "cold", tokens]
    # untimed warm-ups: page cache, numba's on-disk cache, Python bytecode
    measure(cold)
    measure(["gensim", str(copy), how])
    rows = {"embed cold": [], "gensim": [], "embed warm": [], "embed warm after touch": []}
    for r in range(runs):
        pair = [("embed cold", cold), ("gensim", ["gensim", str(copy), how])]
        for name, args in (pair if r % 2 == 0 else pair[::-1]):
            rows[name].append(measure(args))
        rows["embed warm"].append(measure(["embed", str(copy), "warm", tokens]))
        rows["embed warm after touch"].append(measure(["embed", str(copy), "touched", tokens]))
    copy.unlink()
    for old in tmp.glob(corpus.name + ".*"):
        old.unlink()
    return {"corpus": str(corpus), "size_mb": size_mb, "rows": rows, "tokens": tokens}


def report(res: dict, how: str) -> None:
    rows = res["rows"]
    med = {k: (statistics.median(x["seconds"] for x in v),
               statistics.median(x["peak_mb"] for x in v)) for k, v in rows.items()}
    e, g = rows["embed cold"][0], rows["gensim"][0]
    print(f"\n{res['corpus']}  ({res['size_mb']:.1f} MB, {e['tokens']:,} words by embed's "
          f"{res['tokens']!r} rule, {g['tokens']:,} by gensim)")
    print(f"  gensim: Word2Vec(vector_size=100, min_count=1, max_final_vocab=50000)"
          f".{GENSIM_PATHS[how]}")
    print(f"  {'':28}{'seconds':>10}{'peak MB':>10}   vocabulary")
    print(f"  {'embed count+encode (cold)':28}{med['embed cold'][0]:10.2f}"
          f"{med['embed cold'][1]:10.0f}   {e['vocab']:,} (UNK + top words)")
    print(f"  {'gensim build_vocab':28}{med['gensim'][0]:10.2f}{med['gensim'][1]:10.0f}"
          f"   {g['vocab']:,} (max_final_vocab raises min_count)")
    print(f"  {'embed warm (cached) load':28}{med['embed warm'][0]:10.3f}"
          f"{med['embed warm'][1]:10.0f}")
    print(f"  {'embed warm after touch':28}{med['embed warm after touch'][0]:10.3f}"
          f"{med['embed warm after touch'][1]:10.0f}   (file re-hashed to check the cache)")
    print(f"  speed: embed is {med['gensim'][0] / med['embed cold'][0]:.2f}x gensim "
          f"(gensim seconds / embed seconds); memory: embed peak is "
          f"{med['embed cold'][1] / med['gensim'][1]:.2f}x gensim's")
    print(f"  median of {len(rows['gensim'])} interleaved runs; all runs (s): "
          + "; ".join(f"{k} " + " ".join(f"{x['seconds']:.2f}" for x in v)
                      for k, v in rows.items()))
    print(f"  peak memory from {e['peak_from']}")
    if e["tokens"] != g["tokens"]:
        print(f"  note: embed read {e['tokens']:,} words, gensim {g['tokens']:,}: the corpus is "
              "not in text8 form, so the two tokenizers disagree")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", dest="corpora", action="append", type=Path, default=[],
                    help="a corpus file (repeat for more); default: text8 in the data dir")
    ap.add_argument("--tokens", choices=["words", "text8", "split"], default="words",
                    help="embed's tokenisation rule")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gensim-path", choices=[*GENSIM_PATHS, "all"], default="text8corpus",
                    help="how gensim reads the file (text8corpus was its fastest here; "
                         "'all' benchmarks each)")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        kind, path, *rest = a.worker
        out = (worker_embed(path, *rest) if kind == "embed" else worker_gensim(path, rest[0]))
        out["self_peak_mb"] = _peak_self_mb()
        print(json.dumps(out))
        return

    corpora = a.corpora
    if not corpora:
        from embed.paths import data_dir

        corpora = [data_dir() / "text8"]
        if not corpora[0].is_file():
            sys.exit(f"error: no text8 in {data_dir()}: run `embed download`, or pass "
                     "--corpus FILE")
    hows = list(GENSIM_PATHS) if a.gensim_path == "all" else [a.gensim_path]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; embed cold = encode_corpus "
          f"(tokens={a.tokens!r}) with no cache (count, 50k vocabulary, int32 encode, cache "
          "write)")
    with tempfile.TemporaryDirectory(prefix="bench_corpus.") as tmp:
        for corpus in corpora:
            if not corpus.is_file():
                sys.exit(f"error: corpus not found: {corpus}")
            for how in hows:
                report(bench(corpus, a.runs, how, a.tokens, Path(tmp)), how)


if __name__ == "__main__":
    main()
