import numpy as np
import pytest
from click.testing import CliRunner

from embed import modeldir
from embed.cli import COMMANDS, cli
from embed.data.vocab import UNK, Vocabulary
from embed.errors import EmbedError


def test_help_lists_every_command():
    out = CliRunner().invoke(cli, ["--help"]).output
    for name in COMMANDS:
        assert name in out


def test_main_prints_one_line_for_user_errors(tmp_path, monkeypatch, capsys):
    (tmp_path / "boom_cmd.py").write_text(
        "import click\n"
        "from embed.errors import EmbedError\n"
        "@click.command()\n"
        "def boom():\n"
        "    raise EmbedError('file not found: x.txt')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(COMMANDS, "boom", ("boom_cmd", "boom", ""))
    from embed.cli import main
    with pytest.raises(SystemExit) as exit_:
        main(["boom"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err.splitlines() == ["error: file not found: x.txt"]


def test_vocabulary_ranks_by_count_then_word_and_counts_unk():
    v = Vocabulary.from_tokens("b a c a b a d e e".split(), size=3)
    assert v.words == [UNK, "a", "b"]  # b and e tie at 2: b wins by byte order
    assert list(v.counts) == [4, 3, 2]
    assert v.total == 9
    assert list(v.encode(["a", "zzz", "b"])) == [1, 0, 2]
    literal = Vocabulary.from_tokens("UNK a a".split(), size=5)  # a literal UNK token is UNK
    assert literal.words == [UNK, "a"] and list(literal.counts) == [1, 2]


def test_vocabulary_round_trip_and_bad_files(tmp_path):
    v = Vocabulary.from_tokens("x y y z z z".split(), size=10)
    v.save(tmp_path / "v.tsv")
    assert Vocabulary.load(tmp_path / "v.tsv") == v
    (tmp_path / "bad.tsv").write_text("UNK\tmany\n")
    with pytest.raises(EmbedError, match="expected"):
        Vocabulary.load(tmp_path / "bad.tsv")
    with pytest.raises(EmbedError, match="not found"):
        Vocabulary.load(tmp_path / "missing.tsv")


def test_model_dir_round_trip(tmp_path):
    v = Vocabulary.from_tokens("a b b c c c".split())
    rng = np.random.default_rng(0)
    files = modeldir.ModelFiles(vectors=rng.random((4, 3), dtype=np.float32), vocab=v,
                                settings={"dim": 3}, output=np.zeros((4, 3), np.float32),
                                history=np.array([[10, 4.1], [20, 3.5]]))
    modeldir.save(tmp_path / "m", files)
    back = modeldir.load(tmp_path / "m", history=True)
    np.testing.assert_array_equal(back.vectors, files.vectors)
    np.testing.assert_array_equal(back.history, files.history)
    assert back.vocab == v and back.settings == {"dim": 3}
    assert modeldir.load(tmp_path / "m").history is None   # queries never read it
    assert not list((tmp_path / "m").glob(".*tmp*")) + list((tmp_path / "m").glob(".*ckpt"))


def test_unwritable_outputs_are_one_line_errors(tmp_path):
    from embed.atomic import write_text

    (tmp_path / "a_file").write_text("x")
    with pytest.raises(EmbedError, match="cannot write .*out.txt: File exists"):
        write_text(tmp_path / "a_file" / "out.txt", "hello")
    (tmp_path / "a_dir").mkdir()
    with pytest.raises(EmbedError, match="cannot write"):
        write_text(tmp_path / "a_dir", "hello")
    assert not [p for p in (tmp_path).iterdir() if ".tmp" in p.name]
    v = Vocabulary.from_tokens("a b".split())
    files = modeldir.ModelFiles(vectors=np.zeros((3, 2), np.float32), vocab=v)
    with pytest.raises(EmbedError, match="cannot create directory"):
        modeldir.save(tmp_path / "a_file", files)
