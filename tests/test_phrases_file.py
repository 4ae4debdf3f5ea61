"""`embed phrases` and the file pipeline: reading lines, writing the joined corpus and table."""
import bz2
import gzip
import io
import sys

import numpy as np
import pytest
from gensim.models.phrases import Phrases as GensimPhrases
from gensim.models.word2vec import LineSentence

from embed.cli import main
from embed.errors import EmbedError
from embed.phrases import pipeline
from embed.phrases.pipeline import apply_phrases_to_file, settings_key, table_path
from embed.phrases.read import read_corpus
from embed.phrases.scoring import PhraseSettings
from embed.phrases.table import load_table
from test_phrases_gensim import build_corpus

LETTERS = str.maketrans("0123456789", "abcdefghij")


def write_corpus(path, seed=0, n=900):
    """Lines of a-z tokens (with some holding "_"), blank lines, and one line of 25,000 words."""
    lines = [" ".join(s).translate(LETTERS) for s in build_corpus(seed=seed, n=n)]
    long_line = " ".join(" ".join(s).translate(LETTERS) for s in build_corpus(seed + 9, 3000))
    assert len(long_line.split()) > 20_000  # cut in 10,000-word sentences, as LineSentence does
    lines.insert(n // 2, long_line)
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def gensim_pipeline(path, passes, min_count, threshold, scoring):
    """gensim's way: Phrases on LineSentence, applied, fitted again on the result."""
    sentences = list(LineSentence(str(path)))
    exported = []
    for _ in range(passes):
        model = GensimPhrases(sentences, min_count=min_count, threshold=threshold,
                              scoring=scoring, max_vocab_size=10**9,
                              connector_words=frozenset())
        exported.append(model.export_phrases())
        sentences = list(model[sentences])
    return "".join(" ".join(s) + "\n" for s in sentences), exported


@pytest.mark.parametrize("passes,scoring,threshold", [(1, "default", 1.0), (2, "default", 1.0),
                                                       (2, "npmi", 0.3)])
def test_cli_output_and_table_equal_gensim(tmp_path, capsys, passes, scoring, threshold):
    corpus = write_corpus(tmp_path / "corpus.txt")
    out = tmp_path / "out" / "joined.txt"
    # LineSentence takes tokens as they are: our "split" rule
    code, stdout, err = run(capsys, "phrases", corpus, "-o", out, "--min-count", 3,
                            "--threshold", threshold, "--scoring", scoring, "--passes", passes,
                            "--tokens", "split", "-q")
    assert code == 0, err
    expected_text, exported = gensim_pipeline(corpus, passes, 3, threshold, scoring)
    assert out.read_text() == expected_text
    table = load_table(table_path(out))
    union = {}
    for found in exported:
        union.update({p: v for p, v in found.items() if p not in union})
    assert table == union and len(table) > 3
    assert f"pass {passes}: {len(exported[-1]):,} phrases" in stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["joined.txt", "joined.txt.phrases.tsv"]


def test_second_run_on_its_own_output_is_a_second_pass(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus.txt", seed=1)
    for args in [(corpus, "-o", tmp_path / "once.txt", "--passes", 1),
                 (tmp_path / "once.txt", "-o", tmp_path / "again.txt", "--passes", 1),
                 (corpus, "-o", tmp_path / "twice.txt", "--passes", 2)]:
        assert run(capsys, "phrases", *args, "--min-count", 3, "--threshold", 1,
                   "--tokens", "split", "-q")[0] == 0
    assert (tmp_path / "again.txt").read_bytes() == (tmp_path / "twice.txt").read_bytes()


def test_reader_lines_case_unicode_crlf_and_sentence_cut(tmp_path):
    f = tmp_path / "c.txt"
    f.write_bytes("Café au lait, NEW York!\r\n\r\n  \nnew_york\tis big\n".encode())

    def sentences(c):
        return [[c.words[i] for i in c.ids[a:b]] for a, b in zip([0, *c.ends[:-1]], c.ends)]

    c = read_corpus(f)   # the vocabulary's default rule: Unicode words, "_" separates
    assert sentences(c) == [["café", "au", "lait", "new", "york"], ["new", "york", "is", "big"]]
    assert c.counts.tolist() == [1, 1, 1, 2, 2, 1, 1]
    assert c.ids.dtype == np.int32 and c.ends.dtype == np.int64
    assert sentences(read_corpus(f, tokens="split")) == [["Café", "au", "lait,", "NEW", "York!"],
                                                         ["new_york", "is", "big"]]
    assert sentences(read_corpus(f, tokens="text8"))[0] == ["caf", "au", "lait", "new", "york"]
    f.write_text(" ".join(["a"] * 25_000))  # text8: one line
    assert read_corpus(f).ends.tolist() == [10_000, 20_000, 25_000]


def test_reader_compressed_directory_and_stdin(tmp_path, monkeypatch):
    d = tmp_path / "d"
    d.mkdir()
    (d / "1.txt.gz").write_bytes(gzip.compress(b"new york\nnew"))
    (d / "2.bz2").write_bytes(bz2.compress(b"york city"))
    c = read_corpus(d)
    assert c.words == ["new", "york", "city"]
    assert c.ends.tolist() == [2, 3, 5]  # a file's end ends a sentence: no "new york" across
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a b\nc\n")))
    assert read_corpus("-").ends.tolist() == [2, 3]
    # far more words than the compressed size suggests: the id buffer grows
    (tmp_path / "big.gz").write_bytes(gzip.compress(b"a b c\n" * 400_000))
    big = read_corpus(tmp_path / "big.gz")
    assert len(big.ids) == 1_200_000 and len(big.ends) == 400_000
    assert big.ids[-3:].tolist() == [0, 1, 2]


def test_python_entry_point_with_progress(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt", n=300)
    result = apply_phrases_to_file(corpus, tmp_path / "o.txt", passes=2, min_count=3,
                                   threshold=1.0, tokens="split", progress=True)
    assert len(result.passes) == 2 and result.words_read > len(result.ids)
    assert (tmp_path / "o.txt.phrases.tsv").read_text() == result.table_text()
    s = PhraseSettings()
    assert settings_key(s, 2) == settings_key(PhraseSettings(), 2) != settings_key(s, 1)
    assert settings_key(PhraseSettings(threshold=50), 2) != settings_key(s, 2)
    assert settings_key(s, 2, tokens="split") != settings_key(s, 2)


def one_error(capsys, *argv, code=1):
    got, out, err = run(capsys, *argv, "-q")
    lines = err.strip().splitlines()
    assert got == code and len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus.txt", n=50)
    out = tmp_path / "o.txt"
    assert "'abc' is not a valid float" in one_error(capsys, "phrases", corpus, "-o", out,
                                                     "--threshold", "abc", code=2)
    assert "between -1 and 1" in one_error(capsys, "phrases", corpus, "-o", out, "--scoring",
                                           "npmi", "--threshold", "2")
    assert "positive" in one_error(capsys, "phrases", corpus, "-o", out, "--threshold", "0")
    assert one_error(capsys, "phrases", tmp_path / "nope.txt", "-o", out) == \
        f"error: corpus not found: {tmp_path / 'nope.txt'}"
    (tmp_path / "empty.txt").write_text(" ,.;\n\n -- \n")   # punctuation only
    assert "corpus has no words" in one_error(capsys, "phrases", tmp_path / "empty.txt", "-o", out)
    assert "cannot write" in one_error(capsys, "phrases", corpus, "-o", corpus / "o.txt")
    (tmp_path / "adir").mkdir()
    assert "is a directory" in one_error(capsys, "phrases", corpus, "-o", tmp_path / "adir",
                                         code=2)
    with pytest.raises(EmbedError, match="is a directory"):
        apply_phrases_to_file(corpus, tmp_path / "adir", progress=False)
    assert "white space" in one_error(capsys, "phrases", corpus, "-o", out, "--delimiter", " ")
    (tmp_path / "bin").write_bytes(b"\x00\x01" * 50)
    assert "binary" in one_error(capsys, "phrases", tmp_path / "bin", "-o", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "bin", "corpus.txt",
                                                          "empty.txt"]


def test_interrupt_keeps_the_previous_output(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus.txt", n=50)
    out = tmp_path / "o.txt"
    out.write_text("previous\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "write_sentences", interrupted)
    with pytest.raises(KeyboardInterrupt):
        apply_phrases_to_file(corpus, out, progress=False)
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "o.txt"]


def test_api_refuses_bad_passes(tmp_path):
    with pytest.raises(EmbedError, match="passes"):
        apply_phrases_to_file(tmp_path / "c.txt", tmp_path / "o.txt", passes=0)


def test_phrases_work_where_gensim_cannot_be_imported(tmp_path):
    from test_without_gensim import run_without_gensim

    corpus = write_corpus(tmp_path / "corpus.txt", n=200)
    code = ("import sys; from embed.cli import main; main(sys.argv[1:])")
    out = run_without_gensim(code, "phrases", str(corpus), "-o", str(tmp_path / "o.txt"),
                             "--min-count", "3", "--threshold", "1", "-q")
    assert out.returncode == 0, out.stderr
    assert "pass 2:" in out.stdout and (tmp_path / "o.txt.phrases.tsv").stat().st_size > 0


def test_text8_from_the_data_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no local file named text8
    data = tmp_path / "data"
    data.mkdir()
    (data / "text8").write_text(" new york " * 30)
    code, _, err = run(capsys, "phrases", "text8", "--data-dir", data, "-o", tmp_path / "o.txt",
                       "--min-count", 1, "--threshold", 1e-6, "--passes", 1, "-q")
    assert code == 0, err
    assert (tmp_path / "o.txt").read_text() == " ".join(["new_york"] * 30) + "\n"
