"""`embed tune` end to end on a small synthetic corpus (trials of one epoch)."""
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from faults import fail_writes, in_tmpfs

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


def records_after_read(out):
    from embed.tune.results import TrialLog

    return TrialLog(out).read()  # drops the half-written line


def embed(*args):
    """The command line of `embed ARGS` in a process of its own."""
    return [sys.executable, "-m", "embed", *map(str, args)]


@pytest.mark.slow
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
    # trials train on the corpus's sentences (line ends) as `embed train` would
    import numpy as np

    ends = np.load(out / "corpus.ends.npy")
    assert ends[-1] == len(np.load(out / "corpus.ids.npy")) and params["sentences"] == "lines"

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


def test_tune_search_runs_from_python_without_the_cli(corpus, tmp_path):
    from embed.tune.search import TuneSearch

    lines = []
    search = TuneSearch(str(corpus / "corpus.txt"), tmp_path / "lib", strategy="random",
                        space={"dim": {"low": 8, "high": 24}, "window": 3}, trials=2, workers=1,
                        threads=1,
                        epochs=1, objective="pairs", pairs=str(corpus / "pairs.tsv"), seed=5,
                        progress=False)
    result = search.run(echo=lines.append)
    assert result.records == records(tmp_path / "lib") and len(result.records) == 2
    assert result.best == max(result.records, key=lambda r: r["score"])
    assert any(line.startswith("random search over dim;") for line in lines)
    report = result.report()
    assert "2 trials (0 failed)" in report and result.train_command() in report
    # the objective the trials were scored with scores other settings the same way
    again = result.train_objective(result.best["settings"])
    assert again["score"] == pytest.approx(result.best["score"], abs=1e-9)


def test_tune_fails_with_one_line_when_every_trial_failed(corpus, tmp_path):
    space = tmp_path / "space.toml"
    space.write_text('model = { choices = ["nosuch1", "nosuch2"] }\n')
    out = tmp_path / "failed"
    p = subprocess.run(embed("tune", corpus / "corpus.txt", "--space", space, "--epochs", 1,
                             "--trials", 2, "--workers", 1, "--strategy", "grid", "-o", out),
                       capture_output=True, text=True)
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert p.returncode == 1, p.stderr
    assert len(errors) == 1 and errors[0].startswith("error: all 2 trials failed (the first: ")
    assert "Warning" not in p.stderr and "All-NaN" not in p.stderr and "Traceback" not in p.stderr
    assert len(records(out)) == 2  # the failures are recorded all the same


def test_disk_full_while_recording_a_trial_is_one_line_and_resume_keeps_the_rest(
        corpus, tmp_path, capsys, monkeypatch):
    import embed.tune.results as results

    opens = iter(range(100))
    # the disk fills up while the second record is written: half a line reaches the disk
    fail_writes(monkeypatch, results, room=40, which=lambda name: next(opens) == 1)
    out = tmp_path / "full"
    base = [corpus / "corpus.txt", "--space", corpus / "space.toml", "--epochs", 1, "--pairs",
            corpus / "pairs.tsv", "--objective", "pairs", "--workers", 1, "--strategy", "random",
            "-o", out]
    code, _, err = tune([*base, "--trials", 3], capsys)
    assert code == 1 and err.strip().splitlines()[-1] == (
        f"error: cannot write {out / 'trials.jsonl'}: No space left on device; the trials "
        f"recorded before this one are kept: make room and resume the search")
    assert "Traceback" not in err
    monkeypatch.undo()
    assert not (out / "trials.jsonl").read_text().endswith("\n")  # half a record on disk ...
    first = records_after_read(out)  # ... that reading drops
    assert len(first) == 1 and first[0]["status"] == "ok"
    code, _, err = tune([*base, "--trials", 3, "--resume"], capsys)
    assert code == 0, err
    assert records(out)[:1] == first and len(records(out)) == 3


def test_read_only_output_directory_is_one_line_before_any_work(corpus, tmp_path):
    """A real read-only file system (a tmpfs remounted read-only) under -o."""
    out = tmp_path / "ro"
    out.mkdir()
    tune = embed("tune", corpus / "corpus.txt", "--space", corpus / "space.toml", "-o", out)
    p = in_tmpfs(out, "1m", ["sh", "-c", 'mount -o remount,ro "$0" && exec "$@"', out, *tune])
    assert p.returncode == 1 and p.stderr.splitlines() == [
        f"error: cannot write {out / '.lock'}: Read-only file system"]


def test_absurd_negative_in_the_space_is_one_line(corpus, tmp_path, capsys):
    space = tmp_path / "space.toml"
    space.write_text('negative = 100000000\ndim = { low = 8, high = 24 }\n')
    code, _, err = tune([corpus / "corpus.txt", "--space", space, "-o", tmp_path / "o"], capsys)
    assert code == 1 and err.strip().splitlines() == [
        f"error: {space}: negative 100000000 is too large (at most 1,000)"]
    assert not (tmp_path / "o").exists()


# -- a real `embed tune` in its own process, its trial slow enough to be caught running --------

def proc_stat(pid):
    """(state, parent pid) of a process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_stat(int(entry))
            if st and st[1] == pid:
                kids.append(int(entry))
    return kids


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.fixture
def slow_tune(corpus, tmp_path):
    """A real `embed tune` whose one worker is busy with a long trial (20,000 epochs)."""
    out = tmp_path / "slow"
    log = tmp_path / "slow.err"
    with open(log, "w") as err:
        master = subprocess.Popen(
            embed("tune", corpus / "corpus.txt", "--space", corpus / "space.toml", "--epochs",
                  20_000, "--trials", 1, "--workers", 1, "--pairs", corpus / "pairs.tsv",
                  "--objective", "pairs", "-o", out), stderr=err)
    others = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            workers = [k for k in children(master.pid) if "spawn_main" in cmdline(k)]
            if workers and "search over" in log.read_text():
                break
            assert master.poll() is None, log.read_text()
            time.sleep(0.1)
        else:
            pytest.fail("the worker never started: " + log.read_text())
        others = children(master.pid)
        yield master, out, others
    finally:
        master.kill()
        master.wait()
        for pid in others:  # what a failing test left behind
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def gone(pid):
    st = proc_stat(pid)
    return st is None or st[0] in "ZX"


def test_kill_9_of_the_tune_master_takes_its_workers_and_resource_tracker_along(slow_tune):
    master, _, others = slow_tune
    assert any("resource_tracker" in cmdline(k) for k in others)
    time.sleep(1.0)  # the worker is now inside its trial
    master.send_signal(signal.SIGKILL)
    master.wait()
    deadline = time.time() + 5
    while time.time() < deadline and not all(gone(k) for k in others):
        time.sleep(0.1)
    assert [k for k in others if not gone(k)] == []


def test_second_tune_into_the_same_directory_is_refused_naming_the_first(corpus, slow_tune):
    master, out, _ = slow_tune
    p = subprocess.run(embed("tune", corpus / "corpus.txt", "--trials", 2, "--resume", "-o", out),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    line = p.stderr.strip()
    assert line.startswith(f"error: {out} is in use by embed tune (pid {master.pid}, since ")
    assert "running: python -m embed tune" in line and "\n" not in line
    assert records_after_read(out) == []  # the first search's directory is untouched
    master.send_signal(signal.SIGKILL)  # a killed holder leaves no stale lock
    master.wait()
    from embed.lock import lock_holder

    assert lock_holder(out) is None
