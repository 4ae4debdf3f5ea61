"""`embed tune` end to end on a small synthetic corpus (trials of one epoch)."""
import json
import shlex

import numpy as np
import pytest

from embed.cli import main

LETTERS = "abcdefghij"


def word(topic, i):
    return "q" + LETTERS[topic] + LETTERS[i] + "z"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """8 topics of 10 words; a sentence of 8 words stays in one topic, so topic mates co-occur."""
    d = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    words = []
    for _ in range(1500):
        t = int(rng.integers(8))
        words += [word(t, int(i)) for i in rng.integers(10, size=8)]
    (d / "corpus.txt").write_text(" ".join(words))
    with open(d / "pairs.tsv", "w") as f:
        for t in range(8):
            for i in range(5):
                f.write(f"{word(t, i)}\t{word(t, i + 1)}\t9\n{word(t, i)}\t{word((t + 1) % 8, i)}\t1\n")
    with open(d / "analogies.txt", "w") as f:
        f.write(": topics\n")
        for t in range(7):
            f.write(f"{word(t, 0)} {word(t, 1)} {word(t + 1, 0)} {word(t + 1, 1)}\n")
    (d / "space.toml").write_text(
        'model = { choices = ["skipgram", "cbow"] }\n'
        'dim = { low = 8, high = 24 }\n'
        'alpha = { low = 0.01, high = 0.1, log = true }\n'
        'window = 3\n')
    return d


def tune(args, capsys):
    with pytest.raises(SystemExit) as e:
        main(["tune", *map(str, args)])
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def records(path):
    return [json.loads(line) for line in (path / "trials.jsonl").read_text().splitlines()]


def test_tune_end_to_end_then_resume(corpus, tmp_path, capsys):
    out = tmp_path / "search"
    base = [corpus / "corpus.txt", "--space", corpus / "space.toml", "--epochs", 1,
            "--pairs", corpus / "pairs.tsv", "--analogies", corpus / "analogies.txt",
            "--workers", 2, "--strategy", "random", "--seed", 3, "-o", out]
    code, stdout, err = tune([*base, "--trials", 2], capsys)
    assert code == 0, err
    first = records(out)
    assert len(first) == 2 and all(r["status"] == "ok" for r in first)
    for r in first:
        s = r["settings"]
        assert s["epochs"] == 1 and s["window"] == 3 and s["threads"] == 1 and s["seed"] == 3
        assert 8 <= s["dim"] <= 24 and -1 <= r["score"] <= 1
        assert set(r["metrics"]) >= {"spearman", "accuracy"}
    assert "rank" in stdout and "--model" in stdout
    # the best settings are printed as a command `embed train` accepts, with those settings
    from embed.w2v.cli import train

    line = stdout.split("best settings as a command")[1].splitlines()[1].strip()
    argv = shlex.split(line)
    assert argv[:3] == ["embed", "train", str(corpus / "corpus.txt")]
    params = train.make_context("train", argv[2:]).params
    best = max(first, key=lambda r: r["score"])["settings"]
    assert params["dim"] == best["dim"] and params["model"] == best["model"]
    assert params["alpha"] == pytest.approx(best["alpha"], rel=1e-5)
    assert (out / "scores.png").stat().st_size > 1000

    # the same -o again without --resume is refused; --resume runs only the missing trial
    code, _, err = tune([*base, "--trials", 3], capsys)
    assert code == 1 and "--resume" in err and len(err.strip().splitlines()) == 1
    code, _, err = tune([*base, "--trials", 3, "--resume"], capsys)
    assert code == 0, err
    assert "resuming: 2 trial(s)" in err
    after = records(out)
    assert after[:2] == first and len(after) == 3 and after[2]["trial"] == 2
    assert after[2]["settings"] not in [r["settings"] for r in first]
    # resuming after the corpus changed is refused: the new trials would train on other text
    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / "corpus.txt").write_text((corpus / "corpus.txt").read_text())
    moved = [str(edited / "corpus.txt") if a == corpus / "corpus.txt" else a
             for a in base[:-2]] + ["-o", tmp_path / "s2"]
    code, _, err = tune([*moved, "--trials", 1], capsys)
    assert code == 0, err
    (edited / "corpus.txt").write_text((corpus / "corpus.txt").read_text() + " qaaz qabz")
    code, _, err = tune([*moved, "--trials", 2, "--resume"], capsys)
    assert code == 1 and "has changed since this search started" in err
    assert len(records(tmp_path / "s2")) == 1
    # resuming with different search settings is refused
    code, _, err = tune([*base[:-6], "--strategy", "grid", "--seed", 3, "-o", out, "--resume"],
                        capsys)
    assert code == 1 and "different strategy" in err


def test_tune_on_a_dask_cluster_with_heldout_loss(corpus, tmp_path, capsys):
    from distributed import LocalCluster

    out = tmp_path / "dask"
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        code, stdout, err = tune([corpus / "corpus.txt", "--space", corpus / "space.toml",
                                  "--epochs", 1, "--objective", "heldout-loss", "--trials", 2,
                                  "--strategy", "evolution", "--scheduler",
                                  cluster.scheduler_address, "-o", out], capsys)
    assert code == 0, err
    rs = records(out)
    assert len(rs) == 2 and all(r["status"] == "ok" for r in rs)
    for r in rs:
        assert r["score"] == pytest.approx(-r["metrics"]["heldout_loss"]) and r["score"] < 0
        assert r["settings"]["threads"] == 1  # one training thread per trial on Dask
    assert "Dask cluster at tcp://127.0.0.1" in err


def test_bad_space_and_bad_options_are_one_line_errors(corpus, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('dimension = { low = 8, high = 24 }\n')
    code, _, err = tune([corpus / "corpus.txt", "--space", bad, "-o", tmp_path / "o"], capsys)
    assert code == 1 and err.startswith("error: ") and "unknown setting 'dimension'" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = tune([corpus / "corpus.txt", "--scheduler", "localhost", "-o", tmp_path / "o"],
                        capsys)
    assert code == 1 and "tcp://HOST:PORT" in err
    # a bad evaluation file is refused before any trial trains, with one line
    code, _, err = tune([corpus / "corpus.txt", "--pairs", corpus / "analogies.txt", "-o",
                         tmp_path / "o"], capsys)
    assert code == 1 and err.strip().splitlines() == [
        f"error: {corpus / 'analogies.txt'}: no 'word1 word2 score' lines; not a word-pair file"]
    code, _, err = tune([corpus / "corpus.txt", "--analogies", corpus / "pairs.tsv", "-o",
                         tmp_path / "o"], capsys)
    assert code == 1 and "before the first ': section' line" in err
    assert not (tmp_path / "o").exists()
    code, _, err = tune([corpus / "corpus.txt", "-o", corpus / "corpus.txt" / "o"], capsys)
    assert code == 1 and err.strip().splitlines() == [
        f"error: cannot create {corpus / 'corpus.txt' / 'o'}: Not a directory"]
