"""`embed train --subwords` and the commands that use its vectors for any word; bad n-gram
settings, files and resumes as one `error:` line each."""
import numpy as np
import pytest

from embed.cli import main
from embed.vectors import load_vectors
from w2v_corpus import ANIMALS, topic_tokens

ARGS = ["--dim", "12", "--window", "3", "--epochs", "2", "--threads", "1", "--sample", "0",
        "--bucket", "5000"]


def run(argv, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def one_error(code, err, message, status=1):
    lines = err.strip().splitlines()
    assert code == status and len(lines) == 1, err
    assert lines[0].startswith("error:") and message in lines[0], lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A subword model trained by the CLI (and its stderr), and a word model."""
    tmp = tmp_path_factory.mktemp("cli")
    corpus = tmp / "topics.txt"
    corpus.write_text(" ".join(topic_tokens(12_000)) + "\n")
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        for argv in (["train", corpus, "--subwords", "--minn", "4", "-o", tmp / "sub", *ARGS],
                     ["train", corpus, "-o", tmp / "word", *ARGS[:-2], "--quiet"]):
            with pytest.raises(SystemExit) as e:
                main([str(a) for a in argv])
            assert e.value.code == 0
    return tmp, corpus, err.getvalue()


def test_train_says_the_memory_and_makes_a_subword_model(trained):
    tmp, _, err = trained
    assert "model memory: " in err and "(16 words + 5,000 buckets) x 12 float32" in err
    kv = load_vectors(tmp / "sub")
    assert kv.minn == 4 and kv.maxn == 6 and kv.bucket == 5_000
    assert (tmp / "sub" / "ngrams.npy").is_file()


def test_queries_take_words_outside_the_vocabulary(trained, capsys, monkeypatch):
    tmp = trained[0]
    m = tmp / "sub"
    code, out, err = run(["similar", m, "horses", "-n", "3"], capsys)
    assert code == 0, err
    assert out.split()[0] in ANIMALS
    code, out, err = run(["similarity", m, "horses", "horse"], capsys)
    assert code == 0 and float(out) > 0.5, (out, err)
    code, out, err = run(["analogy", m, "cat", "cats", "dog", "-n", "2"], capsys)
    assert code == 0 and len(out.splitlines()) == 2, err
    code, out, err = run(["query", m, "-n", "2"], capsys, "horses - horse + cat\n", monkeypatch)
    assert code == 0 and out.startswith("horses - horse + cat:\n"), err
    pairs = tmp / "pairs.txt"
    pairs.write_text("horses cow 9\ncats plum 1\napples pear 8\ncats dogs 9\nxy grape 2\n")
    code, out, err = run(["evaluate", m, "--no-analogies", "--pairs", pairs], capsys)
    assert code == 0 and "pairs 5" in out and "out of vocabulary 0.0%" in out, (out, err)


def test_vectors_prints_one_line_per_word_and_one_error_per_word_without_ngrams(
        trained, capsys, monkeypatch):
    m = trained[0] / "sub"
    kv = load_vectors(m)
    code, out, err = run(["vectors", m], capsys, "cat\nhorses\n\nx\nplum\n", monkeypatch)
    one_error(code, err, "'x' is not in the vocabulary")   # "<x>": no n-gram of 4 or more
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["cat", "horses", "plum"]
    for line in lines:
        word, *values = line.split()
        assert len(values) == 12
        np.testing.assert_array_equal(np.array(values, np.float32), kv[word])
    code, out, _ = run(["vectors", m, "cats", "dog"], capsys)
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["cats", "dog"]
    code, out, err = run(["vectors", trained[0] / "word", "horses"], capsys)
    one_error(code, err, "'horses' is not in the vocabulary")


def test_export_fasttext_bin_and_vec(trained, capsys):
    import fasttext

    tmp = trained[0]
    kv = load_vectors(tmp / "sub")
    code, _, err = run(["export", tmp / "sub", "-o", tmp / "m.bin", "--format", "fasttext"],
                       capsys)
    assert code == 0 and "(fasttext)" in err
    ft = fasttext.load_model(str(tmp / "m.bin"))
    assert list(ft.get_words()) == kv.words
    for w in ("cat", "horses", "grapes"):
        np.testing.assert_array_equal(ft.get_word_vector(w), kv[w])
    code, _, err = run(["export", tmp / "sub", "-o", tmp / "m.vec"], capsys)
    assert code == 0, err
    vec = load_vectors(tmp / "m.vec")
    assert vec.words == kv.words
    np.testing.assert_array_equal(vec.vectors, kv.vectors)
    code, out, _ = run(["similar", tmp / "m.bin", "horses", "-n", "3"], capsys)  # by magic
    assert code == 0 and out.split()[0] in ANIMALS
    code, _, err = run(["export", tmp / "word", "-o", tmp / "w.bin", "--format", "fasttext"],
                       capsys)
    one_error(code, err, "no n-grams")
    assert not (tmp / "w.bin").exists()


@pytest.mark.parametrize("flags,message", [
    (["--subwords", "--bucket", "0"], "bucket 0 leaves n-grams"),
    (["--minn", "5", "--maxn", "3"], "n-gram range minn 5..maxn 3 is empty"),
    (["--maxn", "0", "--bucket", "7"], "bucket 7 with maxn 0"),
    (["--minn", "-1"], "minn must be an integer"),
    (["--subwords", "--bucket", "3000000000"], "exceed"),
    (["--subwords", "--kernel", "classic"], "subword models have one kernel"),
    (["--subwords", "--hs"], "subword models train with negative sampling"),
    (["--subwords", "--loss", "softmax"], "subword models train with negative sampling"),
])
def test_bad_ngram_settings_are_one_line_before_anything_is_read(tmp_path, capsys, flags,
                                                                   message):
    code, _, err = run(["train", tmp_path / "missing.txt", "-o", tmp_path / "m", *flags],
                       capsys)
    one_error(code, err, message)
    assert not (tmp_path / "m").exists()


def test_a_model_that_cannot_fit_is_refused_before_training(trained, tmp_path, capsys,
                                                             monkeypatch):
    monkeypatch.setattr("embed.subwords.memory.available_memory_bytes", lambda: 100_000)
    code, _, err = run(["train", trained[1], "--subwords", "-o", tmp_path / "m", "--quiet",
                        *ARGS[:-2]], capsys)
    one_error(code, err, "but only 100.0 kB of memory is available: lower --bucket or --dim")
    assert not (tmp_path / "m").exists()


def test_ngram_options_on_resume(trained, capsys):
    tmp = trained[0]
    for flags in (["--subwords"], ["--minn", "2"], ["--bucket", "10"]):
        code, _, err = run(["train", "--resume", tmp / "word", *flags], capsys)
        one_error(code, err, "is a word model: " + ", ".join(f for f in flags
                                                              if f.startswith("--")))
    code, _, err = run(["train", "--resume", tmp / "sub", "--maxn", "5"], capsys)
    one_error(code, err, "n-grams of 4..6 characters, bucket 5,000); drop --maxn")


def test_bad_fasttext_files_are_one_line(trained, tmp_path, capsys):
    code, _, err = run(["export", trained[0] / "sub", "-o", tmp_path / "m.bin", "--format",
                        "fasttext"], capsys)
    assert code == 0, err
    data = (tmp_path / "m.bin").read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[:len(data) // 2])
    code, _, err = run(["similar", tmp_path / "cut.bin", "cat"], capsys)
    one_error(code, err, "truncated or damaged fastText model")
    (tmp_path / "foreign.bin").write_bytes(data[:4] + b"\xff" * 200)
    code, _, err = run(["vectors", tmp_path / "foreign.bin", "cat"], capsys)
    one_error(code, err, "foreign.bin")
    (tmp_path / "noise.bin").write_bytes(bytes(range(256)) * 4)
    code, _, err = run(["similar", tmp_path / "noise.bin", "cat"], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1 and err.startswith("error:")
