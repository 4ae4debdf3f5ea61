"""`embed download`, `embed vocab` and `embed batches` end to end, through embed.cli.main."""
import functools
import io
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from embed.cli import main
from embed.data.vocab import Vocabulary

OPENING = ("anarchism originated as a term of abuse first used against early working class "
           "radicals including the")


def run(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


@pytest.fixture
def corpus(tmp_path):
    f = tmp_path / "opening.txt"
    f.write_text(" " + OPENING)
    return f


def test_batches_skipgram_prints_the_seed_batch(corpus, capsys):
    code, out, err = run(capsys, "batches", str(corpus), "--model", "skipgram", "--batch-size",
                         "8", "--num-skips", "2", "--skip-window", "1", "--seed", "3", "-q")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "batch 1"
    centres = [line.split(" -> ")[0].strip() for line in lines[1:]]
    assert " ".join(centres) == "originated originated as as a a term term"
    labels = [line.split(" -> ")[1] for line in lines[1:]]
    assert sorted(labels[:2]) == ["anarchism", "as"] and sorted(labels[6:]) == ["a", "of"]


def test_batches_cbow_two_batches(corpus, capsys):
    code, out, err = run(capsys, "batches", str(corpus), "--model", "cbow", "--context", "1",
                         "--count", "2", "-q")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:3] == ["batch 1", "  [anarchism, as] -> originated", "  [originated, a] -> as"]
    assert lines[8] == "  [first, against] -> used"
    assert lines[9] == "batch 2"
    assert lines[10] == "  [used, early] -> against"


def test_batches_bad_setting_is_one_line(corpus, capsys):
    code, out, err = run(capsys, "batches", str(corpus), "--num-skips", "3", "-q")
    assert code == 1
    assert err.strip().splitlines() == ["error: batch_size (8) must be a multiple of num_skips (3)"]


def test_vocab_summary_and_output_file(corpus, tmp_path, capsys):
    code, out, err = run(capsys, "vocab", str(corpus), "--vocab-size", "4", "-o",
                         str(tmp_path / "v.tsv"), "-q")
    assert code == 0, err
    assert "tokens:      16 (rule: words)" in out
    assert "sentences:   1 (line ends; longest 16 tokens)" in out
    assert "vocabulary:  4 entries (UNK + 3 words)" in out
    assert "UNK share:   81.25% (13 tokens)" in out
    assert "top words:   a 1, abuse 1, against 1" in out
    v = Vocabulary.load(tmp_path / "v.tsv")
    assert v.words == ["UNK", "a", "abuse", "against"] and v.total == 16 and v.tokens == "words"


def test_vocab_tokens_and_sentences_options(tmp_path, capsys):
    f = tmp_path / "m.txt"
    f.write_text("Café CAFÉ naïve\nМосква москва\n\nx\n", encoding="utf-8")
    code, out, err = run(capsys, "vocab", str(f), "-q", "--top", "3")
    assert code == 0, err
    assert "sentences:   3 (line ends; longest 3 tokens)" in out
    assert "top words:   café 2, москва 2, naïve 1" in out
    code, out, err = run(capsys, "vocab", str(f), "-q", "--tokens", "text8", "--sentences",
                         "chunks", "--top", "2")
    assert code == 0, err
    assert "tokens:      5 (rule: text8)" in out and "top words:   caf 2, na 1" in out
    assert "sentences:   none" in out
    code, out, err = run(capsys, "vocab", str(f), "-q", "--tokens", "split", "--top", "1")
    assert "top words:   CAFÉ 1" in out


def test_size_is_not_an_alias_on_vocab_and_batches(corpus, capsys):
    # --size means the vector size to word2vec.c users (train takes it so): here it is a
    # usage error that points at --vocab-size
    for command in ("vocab", "batches"):
        code, _, err = run(capsys, command, str(corpus), "--size", "4", "-q")
        assert code == 2 and "--vocab-size" in err and len(err.strip().splitlines()) == 1


def test_every_option_has_help(capsys):
    from embed.data.cli import batches, vocab

    for command in (vocab, batches):
        assert command.help
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{command.name} {param.opts}"


def test_issue13_item14_vocab_with_an_empty_corpus_argument(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("some words")
    code, _, err = run(capsys, "vocab", "", "-q")
    assert code == 1 and err.strip() == "error: corpus path is empty"


def test_issue13_item2_vocab_of_a_corpus_with_a_huge_word_ends(tmp_path):
    import subprocess
    import sys

    f = tmp_path / "big.txt"
    f.write_bytes(b"one two " + b"w" * 3_000_000 + b" two")
    proc = subprocess.run([sys.executable, "-m", "embed", "vocab", str(f), "-q"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "cut tokens:  1 longer than 100 bytes were cut to 100" in proc.stdout
    assert "tokens:      4 (rule: words)" in proc.stdout


def test_issue13_item5_batches_on_a_cache_with_ids_outside_the_vocabulary(corpus, capsys):
    import numpy as np

    code, first, _ = run(capsys, "batches", str(corpus), "--model", "cbow", "-q")
    assert code == 0
    (ids_path,) = corpus.parent.glob("opening.txt.*.ids.npy")
    bad = np.load(ids_path)
    bad[3] = 10_000  # the vocabulary has 17 entries
    np.save(ids_path.with_suffix(".tmp.npy"), bad)
    ids_path.with_suffix(".tmp.npy").replace(ids_path)
    code, again, err = run(capsys, "batches", str(corpus), "--model", "cbow", "-q")
    assert code == 0, err
    assert again == first  # the damaged cache was rebuilt


def test_vocab_errors(tmp_path, capsys):
    code, _, err = run(capsys, "vocab", str(tmp_path / "missing.txt"), "-q")
    assert code == 1 and err.strip() == f"error: corpus not found: {tmp_path / 'missing.txt'}"
    (tmp_path / "c.txt").write_text("a b c")
    code, _, err = run(capsys, "vocab", str(tmp_path / "c.txt"), "-q", "-o",
                       str(tmp_path / "c.txt" / "v.tsv"))  # a folder that is a file
    assert code == 1 and err.strip().splitlines() == [
        f"error: cannot write {tmp_path / 'c.txt' / 'v.tsv'}: File exists ({tmp_path / 'c.txt'})"]
    (tmp_path / "bin").write_bytes(b"\x00\x01\x02" * 100)
    code, _, err = run(capsys, "vocab", str(tmp_path / "bin"), "-q")
    assert code == 1 and "binary" in err and len(err.strip().splitlines()) == 1


def test_download_from_local_server_then_no_second_download(tmp_path, capsys):
    served = tmp_path / "www"
    served.mkdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("text8", " " + OPENING)
    (served / "text8.zip").write_bytes(buf.getvalue())
    hits = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=served))
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/text8.zip"
    data = tmp_path / "data"
    try:
        code, out, err = run(capsys, "download", "--url", url, "--data-dir", str(data), "-q")
        assert code == 0, err
        assert out.strip() == f"text8: {data / 'text8'} ({len(OPENING) + 1:,} bytes)"
        assert len(hits) == 1
        code, out, err = run(capsys, "download", "text8", "--url", url, "--data-dir", str(data))
        assert code == 0 and len(hits) == 1
        # the default corpus is that downloaded text8
        code, out, err = run(capsys, "vocab", "--data-dir", str(data), "-q")
        assert code == 0 and "tokens:      16 (rule: words)" in out

        code, out, err = run(capsys, "download", "--url", url[:-4] + ".missing", "--data-dir",
                             str(tmp_path / "other"), "-q")
        assert code == 1 and err.strip().startswith("error: download failed: HTTP 404")
        assert not (tmp_path / "other" / "text8").exists()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_download_respects_embed_data_dir(tmp_path, capsys, monkeypatch):
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "text8").write_text(" " + OPENING)
    monkeypatch.setenv("EMBED_DATA_DIR", str(tmp_path / "env"))
    # text8 is already there: no network needed (the URL would not answer)
    code, out, err = run(capsys, "download", "--url", "http://127.0.0.1:9/none.zip")
    assert code == 0 and str(tmp_path / "env" / "text8") in out
