import numpy as np
import pytest

from embed import load
from embed.cli import main

from w2v_corpus import topic_tokens

ARGS = ["--dim", "12", "--window", "3", "--epochs", "2", "--threads", "1", "--sample", "0",
        "--vocab-size", "40", "--quiet"]


def run(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def test_train_end_to_end_then_resume_on_new_text(tmp_path, capsys):
    corpus = tmp_path / "topics.txt"
    corpus.write_text(" ".join(topic_tokens(12_000)) + "\n")
    code, out, err = run(["train", str(corpus), "-o", str(tmp_path / "m"), *ARGS], capsys)
    assert code == 0, err
    assert "saved skipgram model" in out
    model = load(tmp_path / "m")
    assert model.settings["dim"] == 12 and model.state["complete"]
    assert model.wv.most_similar("cat", topn=1)[0][0] in {"dog", "horse", "cow", "sheep", "goat"}

    more = tmp_path / "more.txt"
    more.write_text(" ".join(topic_tokens(3_000, seed=5)) + " brandnew words\n")
    code, out, err = run(["train", "--resume", str(tmp_path / "m"), "--corpus", str(more),
                          "--quiet"], capsys)
    assert code == 0, err
    again = load(tmp_path / "m")
    assert again.vocab == model.vocab and not np.array_equal(again.vectors, model.vectors)
    assert again.settings["corpus"] == str(more.resolve())


def test_train_prints_neighbours_and_defaults_the_output_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.txt").write_text(" ".join(topic_tokens(6_000)))
    args = [a for a in ARGS if a != "--quiet"]
    code, out, err = run(["train", "t.txt", "--model", "cbow", *args], capsys)
    assert code == 0, err
    assert (tmp_path / "runs" / "cbow-t" / "vectors.npy").is_file()
    assert "nearest neighbours:" in out
    assert len([line for line in out.splitlines() if line.startswith("  ")]) == 5


@pytest.mark.parametrize("text,message", [("", "no words"), ("one two", "window"),
                                          ("same same same same same same", "trainable")])
def test_bad_corpora_are_one_line_errors(tmp_path, capsys, text, message):
    corpus = tmp_path / "bad.txt"
    corpus.write_text(text)
    code, out, err = run(["train", str(corpus), "-o", str(tmp_path / "m"), *ARGS], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert not (tmp_path / "m").exists()


def test_resume_needs_a_model_and_keeps_its_settings(tmp_path, capsys):
    code, _, err = run(["train", "--resume", str(tmp_path / "nope")], capsys)
    assert code == 1 and err.startswith("error:")
    code, _, err = run(["train", "--resume", str(tmp_path / "nope"), "--dim", "5"], capsys)
    assert code == 1 and "drop --dim" in err
    code, _, err = run(["train", "a.txt", "--resume", str(tmp_path / "nope"), "--corpus",
                        "b.txt"], capsys)
    assert code == 1 and err.startswith("error:") and "two corpora" in err


def test_a_real_ctrl_c_writes_a_checkpoint_and_exits_cleanly(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    corpus = tmp_path / "big.txt"
    corpus.write_text(" ".join(topic_tokens(300_000)))
    out_dir = tmp_path / "m"
    proc = subprocess.Popen(
        [sys.executable, "-m", "embed", "train", str(corpus), "-o", str(out_dir), "--dim", "50",
         "--epochs", "2000", "--threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # a shell may start background jobs with SIGINT ignored; Python then never raises
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = b""
    deadline = time.monotonic() + 60
    while b"w/s, epoch" not in seen and time.monotonic() < deadline:  # training has started
        piece = os.read(proc.stderr.fileno(), 4096)
        if not piece:
            break
        seen += piece
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    last = err.decode().replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("interrupted: checkpoint saved in") and "--resume" in last
    model = load(out_dir)
    assert not model.state["complete"] and model.state["chunk"] + model.state["epoch"] > 0


@pytest.mark.parametrize("option,value", [("--dim", "0"), ("--window", "0"), ("--negative", "-1"),
                                          ("--epochs", "0"), ("--alpha", "-1"),
                                          ("--threads", "0")])
def test_bad_options_fail_before_any_corpus_is_read(tmp_path, capsys, option, value):
    # no corpus given: text8 would be downloaded into --data-dir; a bad option must stop first
    code, _, err = run(["train", option, value, "--data-dir", str(tmp_path / "data"), "-o",
                        str(tmp_path / "m"), "--quiet"], capsys)
    lines = err.strip().splitlines()
    # a value click checks is a usage error (exit 2), one the settings check is exit 1
    assert code in (1, 2) and len(lines) == 1 and lines[0].startswith("error:")
    assert option.lstrip("-") in lines[0]
    assert not (tmp_path / "data").exists() and not (tmp_path / "m").exists()


def test_an_unwritable_model_dir_fails_before_any_corpus_is_read(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    for out in (tmp_path / "afile", tmp_path / "afile" / "m"):
        code, _, err = run(["train", "--data-dir", str(tmp_path / "data"), "-o", str(out),
                            "--quiet"], capsys)
        assert code == 1 and err.strip().splitlines() == [
            f"error: cannot write the model to {out}: {tmp_path / 'afile'} is a file, "
            "not a directory"]
    assert not (tmp_path / "data").exists() and (tmp_path / "afile").read_text() == "x"


def test_resume_of_a_model_trained_on_stdin_asks_for_the_text(tmp_path, capsys):
    import json

    corpus = tmp_path / "t.txt"
    corpus.write_text(" ".join(topic_tokens(3_000)))
    code, _, err = run(["train", str(corpus), "-o", str(tmp_path / "m"), *ARGS], capsys)
    assert code == 0, err
    settings = tmp_path / "m" / "settings.json"
    settings.write_text(json.dumps({**json.loads(settings.read_text()), "corpus": "-"}))
    (tmp_path / "m" / "checkpoint.json").unlink()   # accept the hand edit
    code, _, err = run(["train", "--resume", str(tmp_path / "m"), "--quiet"], capsys)
    assert code == 1 and err.startswith("error:") and "standard input" in err


def test_resume_on_a_non_model_dir_or_a_truncated_model_is_one_error_line(tmp_path, capsys):
    (tmp_path / "notes").mkdir()
    corpus = tmp_path / "t.txt"
    corpus.write_text(" ".join(topic_tokens(3_000)))
    code, _, err = run(["train", str(corpus), "-o", str(tmp_path / "m"), *ARGS], capsys)
    assert code == 0, err
    vectors = tmp_path / "m" / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:-100])
    for target in ("notes", "m"):
        code, _, err = run(["train", "--resume", str(tmp_path / target), "--quiet"], capsys)
        lines = err.strip().splitlines()
        assert code == 1 and len(lines) == 1 and lines[0].startswith("error:"), err


def test_a_read_only_model_dir_fails_before_training(tmp_path, capsys, monkeypatch):
    """Issue 13 item 4: an -o that exists but cannot be written is refused before the corpus is
    read, not after a wasted epoch (root ignores file modes, so the refusal is simulated)."""
    import pathlib

    corpus = tmp_path / "t.txt"
    corpus.write_text(" ".join(topic_tokens(3_000)))
    (tmp_path / "ro").mkdir()
    real = pathlib.Path.write_bytes

    def refuse(self, data):
        if self.parent == tmp_path / "ro":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", refuse)
    read = []
    import embed.w2v.pipeline as pipeline
    monkeypatch.setattr(pipeline, "read_corpus", lambda *a, **k: read.append(1))
    code, _, err = run(["train", str(corpus), "-o", str(tmp_path / "ro"), *ARGS], capsys)
    assert code == 1 and err.strip() == f"error: cannot write {tmp_path / 'ro'}: Permission " \
        f"denied ({tmp_path / 'ro'}/.write-test.{__import__('os').getpid()})"
    assert not read
