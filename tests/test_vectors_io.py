"""load_vectors / save_vectors dispatch: formats from suffixes or declared, and the CLI's
--format / --input-format."""
from contextlib import nullcontext

import numpy as np
import pytest
from click.testing import CliRunner
from gensim.models import KeyedVectors as GensimKV

from embed import vectors_cli
from embed.cli import cli
from embed.errors import EmbedError
from embed.vectors import (FORMATS, SUFFIX_FORMAT, KeyedVectors, PickleWarning, load_vectors,
                           save_vectors)

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]


@pytest.fixture
def kv():
    rng = np.random.default_rng(4)
    return KeyedVectors(WORDS, rng.standard_normal((6, 5)), counts=[60, 50, 40, 30, 20, 10])


def _read(path, **kw):
    with pytest.warns(PickleWarning) if kw.get("format") == "gensim" else nullcontext():
        return load_vectors(path, **kw)


def test_cli_and_library_name_the_same_formats():
    assert vectors_cli.FORMATS == FORMATS
    assert set(SUFFIX_FORMAT.values()) == set(FORMATS)


@pytest.mark.parametrize("name", ["v.txt", "v.vec", "v.bin", "v.kv", "v.model", "v.npy"])
def test_save_vectors_picks_the_format_from_the_suffix(kv, tmp_path, name):
    fmt = save_vectors(kv, tmp_path / name)
    assert fmt == SUFFIX_FORMAT["." + name.split(".")[1]]
    if fmt == "gensim":
        with pytest.warns(PickleWarning):
            back = load_vectors(tmp_path / name)
        assert GensimKV.load(str(tmp_path / name)).index_to_key == WORDS
    else:
        back = load_vectors(tmp_path / name)
    assert back.words == WORDS
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    if fmt.startswith("word2vec"):
        g = GensimKV.load_word2vec_format(str(tmp_path / name), binary=fmt.endswith("binary"))
        np.testing.assert_array_equal(g.vectors, kv.vectors)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_save_vectors_limit_and_declared_format(kv, tmp_path):
    for fmt in FORMATS:
        path = tmp_path / (f"top-{fmt}.npy" if fmt == "npy" else f"top-{fmt}")
        assert save_vectors(kv, path, format=fmt, limit=3) == fmt
        back = _read(path, format=fmt)
        assert back.words == WORDS[:3], fmt
        np.testing.assert_array_equal(back.vectors, kv.vectors[:3])
        if fmt in ("gensim", "npy"):
            assert list(back.counts) == [60, 50, 40]
    with pytest.raises(EmbedError, match="cannot tell the format from 'v.weird'"):
        save_vectors(kv, tmp_path / "v.weird")
    with pytest.raises(EmbedError, match="npy output must end in .npy"):
        save_vectors(kv, tmp_path / "v.bin", format="npy")
    with pytest.raises(EmbedError, match="unknown vectors format 'glove'"):
        save_vectors(kv, tmp_path / "v.txt", format="glove")


def test_declared_format_reads_the_file_as_that_format(kv, tmp_path):
    save_vectors(kv, tmp_path / "plain", format="word2vec-binary")
    assert load_vectors(tmp_path / "plain").words == WORDS  # auto: told from the content
    assert load_vectors(tmp_path / "plain", format="word2vec-binary").words == WORDS
    with pytest.raises(EmbedError, match="plain"):  # declared text, but it is binary
        load_vectors(tmp_path / "plain", format="word2vec")
    save_vectors(kv, tmp_path / "t.bin", format="word2vec")  # text under a .bin name
    assert load_vectors(tmp_path / "t.bin").words == WORDS
    assert load_vectors(tmp_path / "t.bin", format="word2vec", limit=2).words == WORDS[:2]
    with pytest.raises(EmbedError, match="model directory; --format is for vectors files"):
        load_vectors(tmp_path, format="npy")
    with pytest.raises(EmbedError, match="unknown vectors format"):
        load_vectors(tmp_path / "t.bin", format="binary")


def test_cli_format_options(kv, tmp_path):
    save_vectors(kv, tmp_path / "v.data", format="gensim")
    runner = CliRunner()

    def ok(*args, input=None):
        result = runner.invoke(cli, [str(a) for a in args], input=input)
        assert result.exit_code == 0, result.output
        return result

    result = ok("similar", tmp_path / "v.data", "alpha", "-n", "2", "--format", "gensim")
    assert result.stderr.startswith("warning: reading ") and result.stderr.count("\n") == 1
    assert len(result.stdout.splitlines()) == 2
    for cmd in (["analogy", tmp_path / "v.data", "alpha", "beta", "gamma"],
                ["similarity", tmp_path / "v.data", "alpha", "beta"],
                ["evaluate", tmp_path / "v.data", "--no-analogies", "--pairs", tmp_path / "p"]):
        (tmp_path / "p").write_text("alpha beta 1\nalpha gamma 2\nbeta delta 3\n")
        refused = runner.invoke(cli, [str(a) for a in cmd])
        assert refused.exit_code == 1 and "pickle" in str(refused.exception)
        ok(*cmd, "--format", "gensim")
    ok("export", tmp_path / "v.data", "--input-format", "gensim", "-o", tmp_path / "v.txt")
    assert load_vectors(tmp_path / "v.txt").words == WORDS
    result = ok("query", tmp_path / "v.txt", "--format", "word2vec", input="alpha\n")
    assert result.stdout.startswith("alpha:\n")
    ok("plot", tmp_path / "v.txt", "--kind", "words", "--method", "pca", "--top", "6",
       "--format", "word2vec", "-o", tmp_path / "w.png")
    help_text = ok("similar", "--help").stdout
    assert "--format [word2vec|word2vec-binary|gensim|npy|auto]" in help_text
