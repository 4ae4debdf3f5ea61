"""Issue 13 regressions in training and resuming, one test per item."""
import json

import numpy as np
import pytest

from embed import load
from embed.cli import main
from embed.errors import EmbedError
from embed.w2v.train import train

from faults import disk_full
from w2v_corpus import topic_corpus, topic_tokens

SMALL = dict(dim=8, window=3, negative=3, sample=0, epochs=2, threads=1, seed=3)


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus(6_000, size=30)


def _trained(corpus, path):
    vocab, ids = corpus
    train(ids, vocab, out_dir=path, **SMALL)
    (path / "checkpoint.json").unlink()   # the tests edit files: check the arrays themselves
    return ids


@pytest.mark.parametrize("table,rows,width", [("output.npy", -6, 0), ("output.npy", 0, 1),
                                               ("vectors.npy", 0, -1)])
def test_issue13_item3_resume_checks_every_tables_shape(corpus, tmp_path, table, rows, width):
    """Too few rows (was a segfault) or the wrong width (was out-of-bounds writes and exit 0)
    is one error naming the file, before any kernel runs."""
    ids = _trained(corpus, tmp_path / "m")
    shape = (len(corpus[0]) + rows, SMALL["dim"] + width)
    f = tmp_path / "m" / table
    np.save(f, np.zeros(shape, np.float32))
    with pytest.raises(EmbedError, match=rf"{table} is float32 \({shape[0]}, {shape[1]}\)"):
        train(ids, resume=tmp_path / "m", epochs=1)
    np.save(f, np.zeros((len(corpus[0]), SMALL["dim"]), np.float64))
    with pytest.raises(EmbedError, match=f"{table}"):
        train(ids, resume=tmp_path / "m", epochs=1)


def test_issue13_item10_nan_in_a_models_table_is_refused_naming_file_and_row(corpus,
                                                                               tmp_path):
    ids = _trained(corpus, tmp_path / "m")
    out = np.load(tmp_path / "m" / "output.npy")
    out[7, 2] = np.nan
    np.save(tmp_path / "m" / "output.npy", out)
    with pytest.raises(EmbedError, match=r"output.npy: row 7 holds NaN or inf"):
        train(ids, resume=tmp_path / "m", epochs=1)


def test_issue13_item4_disk_full_at_a_checkpoint_keeps_the_last_good_one(corpus, tmp_path,
                                                                         monkeypatch):
    """A full disk while an epoch's checkpoint is written: one line, and the previous
    checkpoint is still there, whole (nothing half-written under a final name)."""
    import embed.modeldir as modeldir

    vocab, ids = corpus
    first = train(ids, vocab, out_dir=tmp_path / "m", **{**SMALL, "epochs": 1})
    saved = first.vectors.copy()
    real = modeldir.npy_writer

    def failing(array, dtype=np.float32):
        def write(path):
            real(array, dtype)(path)
            raise disk_full()
        return write

    monkeypatch.setattr(modeldir, "npy_writer", failing)
    with pytest.raises(EmbedError, match="cannot write .*No space left on device"):
        train(ids, vocab, out_dir=tmp_path / "m", **{**SMALL, "seed": 9})
    monkeypatch.undo()
    back = load(tmp_path / "m")
    np.testing.assert_array_equal(back.vectors, saved)
    assert back.settings["seed"] == 3
    assert not list((tmp_path / "m").glob(".*.ckpt"))


def test_issue13_item5_bad_seed_and_a_damaged_history_are_one_line(tmp_path, capsys):
    corpus = tmp_path / "t.txt"
    corpus.write_text(" ".join(topic_tokens(3_000)))
    for argv in (["train", str(corpus), "--seed", "-1", "-q"],
                 ["train", str(corpus), "--seed", str(2 ** 40), "-q"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert exit_.value.code == 1 and len(err) == 1 and "seed must be an integer" in err[0]
    with pytest.raises(SystemExit):
        main(["train", str(corpus), "-o", str(tmp_path / "m"), "--dim", "8", "--epochs", "1",
              "-q"])
    (tmp_path / "m" / "history.tsv").write_text("words\tloss\nnot numbers at all\n")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:   # a query never needs the loss history
        main(["similar", str(tmp_path / "m"), "cat", "-n", "1"])
    assert exit_.value.code == 0
    with pytest.raises(SystemExit) as exit_:   # the loss plot does: one line naming the file
        main(["plot", str(tmp_path / "m"), "--kind", "loss", "-o", str(tmp_path / "l.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 1 and len(err) == 1 and "history.tsv: damaged" in err[0]


def test_issue13_item14_absurd_negative_and_a_changed_corpus_are_said(corpus, tmp_path):
    vocab, ids = corpus
    with pytest.raises(EmbedError, match="negative must be an integer between 1 and 1,000"):
        train(ids, vocab, negative=100_000_000)
    seen = []

    def stop(info):
        raise KeyboardInterrupt

    from embed.w2v.train import TrainingInterrupted

    with pytest.raises(TrainingInterrupted):
        train(ids, vocab, out_dir=tmp_path / "m", callback=stop, **SMALL)
    changed = ids.copy()
    changed[:100] = changed[100:200]
    m = train(changed, resume=tmp_path / "m", out_dir=tmp_path / "m", notify=seen.append)
    assert m.state["complete"] and m.state["round"] == 1
    assert len(seen) == 1 and "the corpus changed" in seen[0]
    state = json.loads((tmp_path / "m" / "train_state.json").read_text())
    assert state["complete"] and state["corpus_words"] == len(ids)
