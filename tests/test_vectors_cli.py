"""The vector commands, run as a user runs them, on a model directory and on vectors files."""
import json
from contextlib import nullcontext

import numpy as np
import pytest
from click.testing import CliRunner
from gensim.models import KeyedVectors as GensimKV

from embed import modeldir
from embed.cli import cli, main
from embed.errors import EmbedError
from embed.data.vocab import Vocabulary
from embed.vectors import PickleWarning, load_vectors
from embed.vectors_cli import parse_query

WORDS = ["king", "queen", "man", "woman", "prince", "princess", "boy", "girl", "paris",
         "france", "rome", "italy", "apple", "banana", "cherry", "grape"]


# feature directions: each word is a sum of a few of them, plus a little noise
FEATURES = {"king": "person royal", "queen": "person royal female", "man": "person",
            "woman": "person female", "prince": "person royal young",
            "princess": "person royal young female", "boy": "person young",
            "girl": "person young female", "paris": "city fr", "france": "country fr",
            "rome": "city it", "italy": "country it", "apple": "fruit f1",
            "banana": "fruit f2", "cherry": "fruit f3", "grape": "fruit f4"}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A model directory whose vectors encode gender, royalty, capitals and fruit."""
    rng = np.random.default_rng(0)
    names = sorted({f for fs in FEATURES.values() for f in fs.split()})
    weight = {n: (0.4 if n.startswith("f") and n[1:].isdigit() else 1.0) for n in names}
    rows = [rng.standard_normal(len(names))]  # UNK
    for w in WORDS:
        v = np.zeros(len(names))
        for f in FEATURES[w].split():
            v[names.index(f)] = weight[f]
        rows.append(v + rng.standard_normal(len(names)) * 0.03)
    path = tmp_path_factory.mktemp("m") / "model"
    modeldir.save(path, modeldir.ModelFiles(
        vectors=np.stack(rows).astype(np.float32),
        vocab=Vocabulary(["UNK"] + WORDS, [5] + list(range(100, 84, -1))),
        settings={"model": "skipgram", "dim": len(names), "window": 5},
        history=np.column_stack([np.arange(1, 41) * 1000, 4 * np.exp(-np.arange(40) / 10)])))
    return path


def run(*args, input=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    assert result.exit_code == 0, result.output
    return result.output


def user_error(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    return err[0]


def test_similar_and_analogy(model):
    out = run("similar", model, "apple", "--topn", "3").splitlines()
    assert sorted(line.split()[0] for line in out) == ["banana", "cherry", "grape"]
    assert all(0.5 < float(line.split()[1]) <= 1.0 for line in out)
    out = run("similar", model, "apple", "king", "-n", "2")
    assert out.startswith("apple:\n") and "\nking:\n" in out
    assert run("analogy", model, "man", "king", "woman", "--topn", "1").split()[0] == "queen"
    assert run("analogy", model, "france", "paris", "italy", "--topn", "1",
               "--cosmul").split()[0] == "rome"
    sim = float(run("similarity", model, "apple", "banana"))
    assert sim == pytest.approx(load_vectors(model).similarity("apple", "banana"), abs=1e-4)


def test_unknown_word_is_one_line_naming_close_words(model, capsys):
    line = user_error(capsys, "similar", model, "quen")
    assert "'quen' is not in the vocabulary" in line and "queen" in line
    # a query is spelled the way the corpus was read (issue 10): "King" is "king"
    assert run("similarity", model, "King", "man") == run("similarity", model, "king", "man")
    assert "Kingg" in user_error(capsys, "analogy", model, "man", "Kingg", "woman") \
        and "close words: king" in user_error(capsys, "similarity", model, "Kingg", "man")
    assert "not found" in user_error(capsys, "similar", model.parent / "nope", "king")


def test_query_reads_stdin(model):
    out = run("query", model, "--topn", "1",
              input="man - king + queen\n# a comment\nbanana\nnosuchword\nking -\napple\n")
    blocks = out.strip().split("\n\n")
    assert blocks[0].splitlines()[0] == "man - king + queen:"
    assert blocks[0].splitlines()[1].split()[0] == "woman"
    assert blocks[1].splitlines()[0] == "banana:"
    # a bad line is one error line and the session goes on
    assert blocks[2].splitlines() == ["nosuchword:", "error: 'nosuchword' is not in the "
                                      "vocabulary (16 words)"]
    assert blocks[3].splitlines() == ["king -:", "error: 'king -' ends with '-': a word "
                                      "must follow it"]
    assert blocks[4].splitlines()[0] == "apple:" and len(blocks) == 5
    assert parse_query("king -man +woman") == (["king", "woman"], ["man"])
    assert parse_query("a b - c") == (["a", "b"], ["c"])
    with pytest.raises(EmbedError, match="two operators"):
        parse_query("a - + b")


def test_export_every_format_and_read_back(model, tmp_path):
    kv = load_vectors(model)
    for name, fmt in (("v.txt", "word2vec"), ("v.bin", "word2vec-binary"), ("v.kv", "gensim"),
                      ("v.npy", "npy"), ("plain", "word2vec-binary")):
        out = tmp_path / name
        run("export", model, "-o", out, "--format", fmt)
        with pytest.warns(PickleWarning) if fmt == "gensim" else nullcontext():
            back = load_vectors(out)
        assert back.words == WORDS
        np.testing.assert_array_equal(back.vectors, kv.vectors)
        if fmt.startswith("word2vec"):
            g = GensimKV.load_word2vec_format(str(out), binary=fmt.endswith("binary"))
            np.testing.assert_array_equal(g.vectors, kv.vectors)
        # every command takes the exported file as MODEL (a .kv after a warning line)
        assert run("analogy", out, "man", "king", "woman", "-n", "1").splitlines()[-1] \
            .split()[0] == "queen"
    run("export", model, "-o", tmp_path / "top.bin", "--limit", "5")  # format from suffix
    assert load_vectors(tmp_path / "top.bin").words == WORDS[:5]
    assert load_vectors(tmp_path / "v.bin", limit=3).words == WORDS[:3]


def test_export_and_load_errors(model, tmp_path, capsys):
    assert "--format" in user_error(capsys, "export", model, "-o", tmp_path / "v.weird")
    (tmp_path / "cut.bin").write_bytes((b"16 13\nking " + bytes(20)))
    assert "truncated" in user_error(capsys, "similar", tmp_path / "cut.bin", "king")
    (tmp_path / "junk.txt").write_text("this is not\na vectors file at all\n")
    assert "junk.txt: not a vectors file" in user_error(capsys, "similar",
                                                        tmp_path / "junk.txt", "king")
    # an output that cannot be written is one line, and nothing is left behind
    (tmp_path / "afile").write_text("x")
    for cmd in (["export", model, "-o", tmp_path / "afile" / "v.bin"],
                ["plot", model, "--kind", "loss", "-o", tmp_path / "afile" / "loss.png"]):
        assert user_error(capsys, *cmd).startswith(f"error: cannot write {tmp_path / 'afile'}/")
    assert (tmp_path / "afile").read_text() == "x"
    # the vectors.npy of a model directory stands for the directory
    assert run("similar", model / "vectors.npy", "apple", "-n", "1").split()[0] in \
        ("banana", "cherry", "grape")


def test_evaluate_json_and_text(model, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text(": royals\nman king woman queen\nboy prince girl princess\n"
                         "man king woman zebra\n: capitals\nfrance paris italy rome\n")
    pairs = tmp_path / "p.txt"
    pairs.write_text("apple banana 9\nking queen 7\napple king 1\nzebra king 3\n")
    out = json.loads(run("evaluate", model, "--analogies", questions, "--pairs", pairs,
                         "--json"))
    a = out["analogies"]
    assert a["total"] == 3 and a["questions"] == 4 and a["oov"] == 0.25
    assert [s["name"] for s in a["sections"]] == ["royals", "capitals"]
    assert a["correct"] == 3 and a["accuracy"] == 1.0
    (p,) = out["pairs"]
    assert p["pairs"] == 3 and p["oov"] == 0.25 and p["spearman"] == pytest.approx(1.0)
    text = run("evaluate", model, "--analogies", questions, "--pairs", pairs)
    assert "royals" in text and "100.0%" in text and "spearman 1.0000" in text
    assert "(3CosAdd over the 16 most frequent words)" in text  # not the 30,000 asked for
    text = run("evaluate", model, "--no-analogies", "--pairs", pairs, "--pairs", pairs)
    assert "analogies" not in text and text.count("spearman") == 2


def test_plot_commands(model, tmp_path, capsys):
    run("plot", model, "--kind", "loss", "-o", tmp_path / "loss.png", "--smooth", "5")
    run("plot", model, "--kind", "words", "--method", "pca", "--top", "10",
        "-o", tmp_path / "words.png")
    for name in ("loss.png", "words.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run("export", model, "-o", tmp_path / "v.bin")
    assert "model directory" in user_error(capsys, "plot", tmp_path / "v.bin", "--kind", "loss",
                                           "-o", tmp_path / "x.png")
    assert "PNG" in user_error(capsys, "plot", model, "--kind", "loss", "-o", tmp_path / "x.jpg")
