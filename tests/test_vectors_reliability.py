"""Issue 13, the vectors' part: one regression test per item, named for it."""
import pickle

import numpy as np
import pytest

from embed import modeldir
from embed.cli import main
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError
from embed.evaluate import evaluate_pairs
from embed.vectors import KeyedVectors, PickleWarning, load_vectors

WORDS = ["the", "of", "and", "one", "zero"]


class _Marker:
    """Unpickling this creates the file `path`: stands for any code a pickle can run."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def _cli_error(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 1 and len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def _kv():
    return KeyedVectors(WORDS, np.arange(20, dtype=np.float32).reshape(5, 4) / 7)


def test_issue13_item1_a_pickle_not_declared_is_never_unpickled(tmp_path, capsys):
    marker = tmp_path / "marker"
    payload = pickle.dumps(_Marker(marker), protocol=4)
    assert payload[:1] == b"\x80"
    for name in ("x.bin", "x.txt", "x.vec", "x", "x.npy"):
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(EmbedError) as err:
            load_vectors(tmp_path / name)
        assert "\n" not in str(err.value)
        line = _cli_error(capsys, "similar", tmp_path / name, "the")
        assert name in line
        for fmt in ("word2vec", "word2vec-binary", "npy", "auto"):
            _cli_error(capsys, "similar", tmp_path / name, "the", "--format", fmt)
    assert "--format gensim" in line and "pickle" in line
    # an .npy of Python objects is refused too (allow_pickle=False), not unpickled
    np.save(tmp_path / "obj.npy", np.array([_Marker(marker)], dtype=object), allow_pickle=True)
    (tmp_path / "obj.vocab.tsv").write_text("the\t1\n")
    assert "does not unpickle" in _cli_error(capsys, "similar", tmp_path / "obj.npy", "the")
    assert not marker.exists()
    # the proof that the payload is live: declared trusted, it runs (after the warning line)
    with pytest.warns(PickleWarning, match="pickles can run code"), pytest.raises(EmbedError):
        load_vectors(tmp_path / "x.bin", format="gensim")
    assert marker.exists()


def test_issue13_item1_declared_gensim_files_warn_on_one_stderr_line(tmp_path, capsys):
    kv = _kv()
    kv.save_gensim(tmp_path / "v.kv")
    (tmp_path / "v.bin").write_bytes((tmp_path / "v.kv").read_bytes())
    for args in ([tmp_path / "v.kv"], [tmp_path / "v.bin", "--format", "gensim"]):
        with pytest.raises(SystemExit) as exit_:
            main(["similar", *map(str, args), "the", "-n", "1"])
        out = capsys.readouterr()
        assert exit_.value.code == 0
        err = out.err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("warning: reading ") \
            and "pickles can run code" in err[0], err
        assert out.out.split()[0] in WORDS
    with pytest.warns(PickleWarning):
        back = load_vectors(tmp_path / "v.bin", format="gensim")
    np.testing.assert_array_equal(back.vectors, kv.vectors)


def test_issue13_item5_binary_header_claiming_huge_counts(tmp_path, capsys):
    record = b"the " + np.ones(4, "<f4").tobytes() + b"\n"
    for header in (b"1000000000000 4\n", b"1 1000000000000\n", b"1000000000000 1000000000000\n"):
        (tmp_path / "big.bin").write_bytes(header + record)
        with pytest.raises(EmbedError, match="big.bin: header says .* bytes follow it"):
            load_vectors(tmp_path / "big.bin")
        assert "header says" in _cli_error(capsys, "similar", tmp_path / "big.bin", "the")
    (tmp_path / "big.bin").write_bytes(b"1000000000000 4\n" + record)  # --limit reads what it can
    assert load_vectors(tmp_path / "big.bin", limit=1).words == ["the"]


def test_issue13_item5_text_whose_first_word_has_a_space_is_not_taken_for_binary(tmp_path):
    (tmp_path / "v.txt").write_text("2 3\nNew York 0.1 0.2 0.3\nb 1 2 3\n")
    with pytest.raises(EmbedError, match=r"v.txt:2: the word 'New York' contains a space"):
        load_vectors(tmp_path / "v.txt")
    (tmp_path / "later.txt").write_text("2 3\nb 1 2 3\nLos Angeles 0.1 0.2 0.3\n")
    with pytest.raises(EmbedError, match=r"later.txt:3: the word 'Los Angeles' contains"):
        load_vectors(tmp_path / "later.txt")
    (tmp_path / "glove.txt").write_text("New York 0.1 0.2 0.3\nb 1 2 3\n")  # no header
    with pytest.raises(EmbedError, match=r"glove.txt:1: the word 'New York' contains a space"):
        load_vectors(tmp_path / "glove.txt")


def test_issue13_item5_evaluate_with_exactly_one_pair_in_the_vocabulary(tmp_path, capsys):
    kv = _kv()
    pairs = tmp_path / "p.txt"
    pairs.write_text("the of 5\nthe zebra 3\nunicorn one 1\n")
    with pytest.raises(EmbedError, match=r"p.txt: only one pair has both words in the "
                                         r"vocabulary \(2 pairs out of vocabulary\)"):
        evaluate_pairs(kv, pairs)
    kv.save_word2vec(tmp_path / "v.txt")
    line = _cli_error(capsys, "evaluate", tmp_path / "v.txt", "--no-analogies", "--pairs", pairs)
    assert "only one pair" in line


def test_issue13_item10_nan_in_npy_names_the_file_and_row(tmp_path, capsys):
    kv = _kv()
    for bad in (np.nan, np.inf, -np.inf):
        vectors = kv.vectors.copy()
        vectors[3, 2] = bad
        KeyedVectors(WORDS, vectors).save_npy(tmp_path / "v.npy")
        with pytest.raises(EmbedError, match=r"v.npy: row 3 \('one'\) holds NaN or inf"):
            load_vectors(tmp_path / "v.npy")
    assert "v.npy: row 3 " in _cli_error(capsys, "similar", tmp_path / "v.npy", "the")
    vectors = kv.vectors.astype(np.float64)
    vectors[1, 0] = 1e300  # finite in the file, infinite as the float32 the queries use
    np.save(tmp_path / "v.npy", vectors)
    with pytest.raises(EmbedError, match=r"v.npy: row 1 \('of'\) holds NaN or inf"):
        load_vectors(tmp_path / "v.npy")
    # a model directory's vectors.npy: the row in the file (UNK is row 0), not in the answer
    vectors = np.vstack([np.zeros((1, 4)), kv.vectors]).astype(np.float32)
    vectors[2, 0] = np.nan
    modeldir.save(tmp_path / "m", modeldir.ModelFiles(
        vectors=vectors, vocab=Vocabulary(["UNK"] + WORDS, [0, 5, 4, 3, 2, 1])))
    with pytest.raises(EmbedError, match=r"m/vectors.npy: row 2 "):
        load_vectors(tmp_path / "m")


def _binary(records, newline: bool) -> bytes:
    end = b"\n" if newline else b""
    return b"%d 2\n" % len(records) + b"".join(
        w + b" " + np.asarray(v, "<f4").tobytes() + end for w, v in records)


@pytest.mark.parametrize("newline", [True, False], ids=["word2vec.c", "gensim"])
def test_issue13_item14_binary_spaced_word_names_file_and_record(tmp_path, newline):
    """word2vec.c ends each vector with a newline, gensim does not: either way the record where
    the words go out of step is named, not '3 words but 2 vectors'."""
    v = [0.1, 0.1]
    (tmp_path / "s.bin").write_bytes(_binary([(b"a", v), (b"New York", v), (b"c", v)], newline))
    with pytest.raises(EmbedError, match=r"s.bin: record 3 \(byte \d+\).* out of step, as when "
                                         r"a word contains a space") as err:
        load_vectors(tmp_path / "s.bin")
    assert "\n" not in str(err.value)
    (tmp_path / "last.bin").write_bytes(_binary([(b"a", v), (b"New York", v)], newline))
    with pytest.raises(EmbedError, match=r"last.bin: 5 bytes follow the last of the 2 records"):
        load_vectors(tmp_path / "last.bin")
    good = _binary([(b"a", v), (b"b", v)], newline) + b"\n"
    (tmp_path / "good.bin").write_bytes(good)  # trailing whitespace is fine
    assert load_vectors(tmp_path / "good.bin").words == ["a", "b"]


def test_issue13_item10_binary_nan_or_inf_names_the_record(tmp_path):
    rows = np.ones((3, 2), np.float32)
    for bad in (np.nan, -np.nan, np.inf, -np.inf):
        rows[2, 1] = bad
        (tmp_path / "n.bin").write_bytes(_binary([(b"a", rows[0]), (b"b", rows[1]),
                                                  (b"c", rows[2])], newline=True))
        # record 3 starts after the 4-byte header and two 11-byte records
        with pytest.raises(EmbedError, match=r"n.bin: record 3 \('c', byte 26\) contains NaN"):
            load_vectors(tmp_path / "n.bin")
    rows[2, 1] = np.finfo(np.float32).max  # the largest finite value is a value
    (tmp_path / "n.bin").write_bytes(_binary([(b"a", rows[0]), (b"c", rows[2])], newline=True))
    assert load_vectors(tmp_path / "n.bin")["c"][1] == np.finfo(np.float32).max
