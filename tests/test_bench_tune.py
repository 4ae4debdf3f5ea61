"""scripts/bench_tune.py: its default corpus, and the search it runs is the library's."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "scripts" / "bench_tune.py"


def test_bench_tune_default_corpus_is_text8_in_the_data_dir_and_missing_is_one_line(tmp_path):
    env = {**os.environ, "EMBED_DATA_DIR": str(tmp_path / "data")}
    p = subprocess.run([sys.executable, BENCH, "--skip-branin"], capture_output=True, text=True,
                       env=env, cwd=tmp_path)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.splitlines() == [
        f"error: corpus not found: {tmp_path / 'data' / 'text8'}; get text8 with `embed "
        f"download`, or build the offline bench corpus with `../shared/bench/make-corpus.sh "
        f"OUT_FILE` and pass --corpus OUT_FILE"]


RUN_BENCH = """
import os, runpy, sys
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(sys.argv[0]))  # as running the script would
runpy.run_path(sys.argv[0], run_name="__main__")
assert "embed.tune.cli" not in sys.modules, "the bench went through the CLI"
assert "embed.tune.search" in sys.modules
"""


@pytest.mark.slow
def test_bench_tune_searches_any_corpus_file_through_the_library(tmp_path):
    rng = np.random.default_rng(0)
    words = ["w" + "".join(chr(97 + int(d)) for d in str(i)) for i in rng.zipf(1.5, 6000) % 60]
    corpus = tmp_path / "any-name.txt"
    corpus.write_text(" ".join(words))
    p = subprocess.run([sys.executable, "-c", RUN_BENCH, BENCH, "--skip-branin", "--corpus",
                        corpus, "--trials", "2", "--workers", "1", "--max-words", "5000",
                        "--objective", "heldout-loss", "--strategy", "random", "--out",
                        tmp_path / "out"], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "2-trial random search, 1 epoch(s) on the first 5,000 words" in p.stdout
    assert "trainer defaults" in p.stdout and "best of the search" in p.stdout
    assert len((tmp_path / "out" / "search" / "trials.jsonl").read_text().splitlines()) == 2
