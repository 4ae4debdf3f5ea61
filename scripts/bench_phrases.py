#!/usr/bin/env python
"""Phrase detection + joining a corpus: `embed phrases` vs gensim's Phrases, seconds and memory.

    python scripts/bench_phrases.py [--corpus FILE] [--runs 3] [--passes 1]

The corpus defaults to text8 in the data directory (``embed download``); the offline bench
corpus (5.4 M words, text8 format) is made by ``../shared/bench/make-corpus.sh FILE``.

Both sides do the whole job on the same settings (min_count 5, threshold 100, default scoring,
no connector words): learn the phrases, join them into the corpus and write it, one sentence a
line, plus the phrase table.

- embed: ``embed phrases CORPUS -o OUT --passes P -q`` (through ``embed.cli.main``).
- gensim: ``Phrases(LineSentence(CORPUS), ..., max_vocab_size=10**9)`` (so it prunes nothing),
  ``.freeze()`` (its faster way to apply: 15-20% quicker here than applying ``Phrases``
  itself), then every sentence of ``LineSentence(CORPUS)`` through it, written as a line; with
  ``--passes 2`` a second ``Phrases`` is fitted on the first one's output stream and both are
  applied, as gensim's documentation chains bigram and trigram models.

From the second pass on, tokens hold the delimiter and gensim's two ways of applying a model
part: ``FrozenPhrases`` joins (new_york, city) when "new_york_city" is in its table, scored from
the counts of "new" and "city" (how ``export_phrases`` scores a key), while ``Phrases[...]``
scores the pair itself, from the counts of "new_york" and "city". embed joins as
``Phrases[...]``; so for ``--passes 2`` the check at the end runs gensim once more (untimed)
applying the unfrozen models, and compares the joined corpus with that.

Each run is a fresh process under ``/usr/bin/time -v``: "wall" is the whole command as a user
waits for it (interpreter, imports, numba's cached kernels), "work" is timed inside the process
around the job only, peak memory is the maximum resident set. Runs alternate (embed, gensim,
gensim, embed, ...) after one untimed warm-up of each; medians are reported. At the end the two
phrase tables (each pass's phrases) and joined corpora are compared.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import default_corpus, require_corpus

TIME = "/usr/bin/time"
SETTINGS = dict(min_count=5, threshold=100.0)


# ---------------------------------------------------------------- workers (one per process)

def worker_embed(corpus: str, out: str, passes: int) -> dict:
    import embed.phrases.cli  # noqa: F401  (imports out of the timing, as for gensim)
    from embed.cli import main

    t = time.perf_counter()
    try:
        main(["phrases", corpus, "-o", out, "--passes", str(passes), "-q",
              "--min-count", str(SETTINGS["min_count"]),
              "--threshold", str(SETTINGS["threshold"])])
    except SystemExit as e:
        if e.code:
            raise
    return {"work": time.perf_counter() - t, "table": out + ".phrases.tsv"}


def worker_gensim(corpus: str, out: str, passes: int, frozen: bool = True) -> dict:
    import logging

    logging.disable(logging.CRITICAL)
    from gensim.models.phrases import Phrases
    from gensim.models.word2vec import LineSentence

    t = time.perf_counter()
    models = []

    def stream():
        sentences = LineSentence(corpus)
        for model in models:
            sentences = model[sentences]
        return sentences

    tables = []
    for _ in range(passes):
        model = Phrases(stream(), **SETTINGS, max_vocab_size=10**9, connector_words=frozenset())
        if frozen:
            model = model.freeze()
            tables.append(model.phrasegrams)
        else:
            tables.append(model.export_phrases())
        models.append(model)
    with open(out, "w", encoding="utf-8") as f:
        for sentence in stream():
            f.write(" ".join(sentence))
            f.write("\n")
    seconds = time.perf_counter() - t
    table = out + ".phrases.json"
    with open(table, "w") as f:
        json.dump(tables, f)
    return {"work": seconds, "table": table}


# ---------------------------------------------------------------- driver

def measure(side: str, corpus: Path, out: Path, passes: int) -> dict:
    cmd = [TIME, "-v", sys.executable, __file__, "--worker", side, str(corpus), str(out),
           str(passes)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{side} failed:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)",
                     proc.stderr)
    h, m, s = wall.groups()
    result["wall"] = int(h or 0) * 3600 + int(m) * 60 + float(s)
    result["peak_mb"] = int(peak.group(1)) / 1024
    return result


def read_table(table: str) -> dict[str, float]:
    """Our table: pass 1's phrases, then each later pass's new ones (see pipeline.py)."""
    rows = {}
    for line in Path(table).read_text(encoding="utf-8").splitlines():
        phrase, value = line.split("\t")
        rows[phrase] = float(value)
    return rows


def compare(ours: dict, theirs: dict, out_ours: Path, out_theirs: Path) -> list[str]:
    by_pass = json.loads(Path(theirs["table"]).read_text())
    union: dict[str, float] = {}
    for found in by_pass:
        union.update({p: v for p, v in found.items() if p not in union})
    mine = read_table(ours["table"])
    diff = sorted(set(mine) ^ set(union))
    worst = max((abs(mine[p] - union[p]) for p in set(mine) & set(union)), default=0.0)
    lines = [f"phrases found: embed {len(mine):,}, gensim {len(union):,} "
             f"(per gensim pass: {', '.join(f'{len(t):,}' for t in by_pass)}); "
             f"symmetric difference: {len(diff)}{' ' + ', '.join(diff[:20]) if diff else ''}; "
             f"largest score difference: {worst:g}"]
    same = _digest(out_ours) == _digest(out_theirs)
    lines.append(f"joined corpora: {'byte for byte identical' if same else 'DIFFERENT'} "
                 f"({out_ours.stat().st_size:,} bytes)")
    return lines


def _tokens(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(len(line.split()) for line in f)


def _digest(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, help="default: text8 in the data directory")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--passes", type=int, default=1, choices=[1, 2, 3])
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        side, corpus, out, passes = a.worker
        if side == "embed":
            print(json.dumps(worker_embed(corpus, out, int(passes))))
        else:
            print(json.dumps(worker_gensim(corpus, out, int(passes), side == "gensim")))
        return
    a.corpus = require_corpus(a.corpus or default_corpus())
    if not os.access(TIME, os.X_OK):
        sys.exit(f"error: {TIME} is needed for the peak memory")
    with tempfile.TemporaryDirectory(prefix="bench_phrases.") as tmp:
        outs = {side: Path(tmp) / f"{side}.txt" for side in ("embed", "gensim")}
        for side in outs:  # untimed warm-up: page cache, numba's cache, bytecode
            measure(side, a.corpus, outs[side], a.passes)
        rows: dict[str, list[dict]] = {"embed": [], "gensim": []}
        for r in range(a.runs):
            order = ["embed", "gensim"] if r % 2 == 0 else ["gensim", "embed"]
            for side in order:
                rows[side].append(measure(side, a.corpus, outs[side], a.passes))
        med = {side: {k: statistics.median(x[k] for x in v) for k in ("wall", "work", "peak_mb")}
               for side, v in rows.items()}
        print(f"{a.corpus} ({a.corpus.stat().st_size / 1e6:.1f} MB), passes={a.passes}, "
              f"min_count={SETTINGS['min_count']}, threshold={SETTINGS['threshold']:g}; "
              f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; median of {a.runs} "
              "interleaved runs")
        print(f"  {'':8}{'wall s':>9}{'work s':>9}{'peak MB':>9}")
        for side in ("embed", "gensim"):
            print(f"  {side:8}{med[side]['wall']:9.2f}{med[side]['work']:9.2f}"
                  f"{med[side]['peak_mb']:9.0f}")
        print(f"  speed: embed is {med['gensim']['wall'] / med['embed']['wall']:.1f}x gensim "
              f"(whole command), {med['gensim']['work'] / med['embed']['work']:.1f}x (work "
              f"only); peak memory {med['embed']['peak_mb'] / med['gensim']['peak_mb']:.2f}x "
              "gensim's")
        print("  all runs, wall s: " + "; ".join(
            f"{side} " + " ".join(f"{x['wall']:.2f}" for x in v) for side, v in rows.items()))
        theirs = rows["gensim"][-1]
        if a.passes > 1:  # see the docstring: compare with gensim's unfrozen application
            exact = Path(tmp) / "gensim-unfrozen.txt"
            theirs = measure("gensim-unfrozen", a.corpus, exact, a.passes)
            frozen_tokens, unfrozen_tokens = _tokens(outs["gensim"]), _tokens(exact)
            print(f"  gensim's frozen models wrote {frozen_tokens:,} tokens, its unfrozen ones "
                  f"{unfrozen_tokens:,} (the comparison below is with the unfrozen output)")
            outs["gensim"] = exact
        for line in compare(rows["embed"][-1], theirs, outs["embed"], outs["gensim"]):
            print("  " + line)


if __name__ == "__main__":
    main()
