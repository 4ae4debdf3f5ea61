"""embed trains, and the thread benchmark runs, on a machine where gensim cannot be imported."""
import gzip
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Put in front of every import: any attempt to import gensim fails as if it were not installed.
BLOCK_GENSIM = """
import sys
class _NoGensim:
    def find_spec(self, name, path=None, target=None):
        if name == "gensim" or name.startswith("gensim."):
            raise ModuleNotFoundError("No module named 'gensim'")
sys.meta_path.insert(0, _NoGensim())
"""


def run_without_gensim(code: str, *args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_GENSIM + code, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_the_blocker_really_hides_gensim():
    out = run_without_gensim("import gensim")
    assert out.returncode != 0 and "No module named 'gensim'" in out.stderr


def test_embed_imports_and_trains_without_gensim():
    code = """
import sys
sys.path.insert(0, "tests")
import embed, embed.cli, embed.vectors, embed.evaluate
from embed.w2v.train import train
from w2v_corpus import topic_corpus, topic_margin
vocab, ids = topic_corpus(20_000)
for model in ("skipgram", "cbow"):
    m = train(ids, vocab, model=model, epochs=3, dim=16, window=3, threads=2, sample=0)
    assert topic_margin(m) > 0.1, (model, topic_margin(m))
assert "gensim" not in sys.modules
print("trained")
"""
    out = run_without_gensim(code)
    assert out.returncode == 0, out.stderr
    assert "trained" in out.stdout


@pytest.mark.slow
def test_thread_benchmark_says_gensim_is_missing_and_still_measures(tmp_path):
    from w2v_corpus import topic_tokens

    corpus = tmp_path / "tiny.txt.gz"
    with gzip.open(corpus, "wt") as f:
        f.write(" ".join(topic_tokens(40_000)))
    code = ("import runpy, sys; sys.argv = ['bench_threads.py'] + sys.argv[1:]; "
            "runpy.run_path('scripts/bench_threads.py', run_name='__main__')")
    out = run_without_gensim(code, "--corpus", str(corpus), "--threads", "1", "--models",
                             "cbow", "--runs", "1", "--budget-seconds", "1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    missing = [line for line in lines if line.startswith("gensim is missing")]
    assert len(missing) == 1 and ".whl/*.whl" in missing[0]
    rows = [line for line in lines if line.startswith("| 1 |")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1] == "40,000"                       # the whole tiny corpus, one slice
    assert float(cells[2].replace(",", "")) > 0       # ours w/s
    assert float(cells[4].replace(",", "")) > 0       # the ceiling's w/s
    assert "ratio to gensim" not in out.stdout
