"""The master and its workers: a real process pool and a real Dask LocalCluster on 127.0.0.1."""
import json
import os
import socket

import pytest

from embed.errors import EmbedError
from embed.tune.executors import DaskExecutor, LocalExecutor, make_executor
from embed.tune.functions import Quadratic
from embed.tune.results import TrialLog, best_records
from embed.tune.runner import run_search
from embed.tune.space import space_from_dict
from embed.tune.strategies import make_strategy

SPACE = space_from_dict({"x": {"low": -2.0, "high": 2.0}, "m": {"choices": ["ok", "bad", "fine"]}})
OBJ = Quadratic({"x": 0.5, "m": "fine"}, fail_when={"m": "bad"})


def search(tmp_path, strategy, executor, n, objective=OBJ, seed=0):
    st = make_strategy(strategy, SPACE, seed=seed, budget=n)
    return run_search(st, objective, executor, TrialLog(tmp_path), n, fixed={"threads": 1})


def check_records(records, path, n):
    on_disk = [json.loads(line) for line in (path / "trials.jsonl").read_text().splitlines()]
    assert on_disk == records and len(records) == n
    assert sorted(r["trial"] for r in records) == list(range(n))
    for r in records:
        assert r["settings"]["threads"] == 1 and r["seconds"] >= 0
        if r["settings"]["m"] == "bad":
            assert r["status"] == "failed" and r["score"] is None
            assert "synthetic failure" in r["error"]
        else:
            assert r["status"] == "ok" and r["score"] == pytest.approx(OBJ(r["settings"]))


def test_local_process_pool_runs_trials_and_records_failures(tmp_path):
    records = search(tmp_path, "random", LocalExecutor(workers=2), 8)
    check_records(records, tmp_path, 8)
    assert any(r["status"] == "failed" for r in records)  # ... and the search went on
    # every trial ran in one of the pool's two processes, none in the master
    workers = {r["worker"] for r in records}
    assert len(workers) <= 2 and f"{socket.gethostname()}:{os.getpid()}" not in workers
    assert all(w.split(":")[0] == socket.gethostname() and int(w.split(":")[1]) > 0
               for w in workers)


@pytest.mark.parametrize("processes", [False, True])
def test_dask_local_cluster_runs_trials(tmp_path, processes):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=processes, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        ex = make_executor(scheduler=cluster.scheduler_address)
        assert isinstance(ex, DaskExecutor) and ex.capacity == 2
        records = search(tmp_path, "evolution", ex, 6)
    check_records(records, tmp_path, 6)


def test_interrupted_search_resumes_without_repeating_trials(tmp_path):
    class Interrupt(Exception):
        pass

    full = search(tmp_path / "full", "random", LocalExecutor(1), 7)
    # The same search, stopped after 3 recorded trials (as Ctrl-C would stop it) ...
    seen = []

    def stop_after_three(record):
        seen.append(record)
        if len(seen) == 3:
            raise Interrupt

    st = make_strategy("random", SPACE, seed=0, budget=7)
    with pytest.raises(Interrupt):
        run_search(st, OBJ, LocalExecutor(1), TrialLog(tmp_path / "cut"), 7,
                   fixed={"threads": 1}, on_record=stop_after_three)
    assert len(TrialLog(tmp_path / "cut").read()) == 3
    # ... then resumed: four new trials, none of the first three again, same settings as the
    # uninterrupted run (random search replays its seed and skips what already ran).
    resumed = search(tmp_path / "cut", "random", LocalExecutor(1), 7)
    assert [r["settings"] for r in resumed] == [r["settings"] for r in full]
    assert [r["trial"] for r in resumed] == list(range(7))


def test_resume_tells_the_strategy_and_drops_a_half_written_record(tmp_path):
    log = TrialLog(tmp_path)
    grid = [s for s in SPACE.grid(3) if s["m"] != "bad"]
    done = [{"trial": i, "status": "ok", "score": OBJ(s), "settings": {**s, "threads": 1},
             "seconds": 0.0, "error": None} for i, s in enumerate(grid[:4])]
    for r in done:
        log.append(r)
    with open(log.path, "a") as f:
        f.write('{"trial": 4, "status": "o')  # the machine died mid-write
    records = search(tmp_path, "grid", LocalExecutor(1), 9)
    assert records[:4] == done
    keys = [SPACE.key(r["settings"]) for r in records]
    assert len(set(keys)) == 9  # the grid never re-ran the four recorded points
    assert [r["trial"] for r in records] == list(range(9))
    assert len(log.read()) == 9


def test_a_damaged_trials_file_is_an_error(tmp_path):
    (tmp_path / "trials.jsonl").write_text('{"trial": 0}\nnot json\n')
    with pytest.raises(EmbedError, match="trials.jsonl:1: not a trial record"):
        TrialLog(tmp_path).read()


def test_best_records_rank_by_score():
    rs = [{"trial": 0, "status": "ok", "score": 0.1}, {"trial": 1, "status": "failed", "score": None},
          {"trial": 2, "status": "ok", "score": 0.3}]
    assert [r["trial"] for r in best_records(rs)] == [2, 0]


def test_executor_errors_are_one_line(monkeypatch):
    with pytest.raises(EmbedError, match="tcp://HOST:PORT"):
        make_executor(scheduler="127.0.0.1:1")
    with pytest.raises(EmbedError, match="cannot reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=0.5)
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(EmbedError, match=r"pip install 'embed\[dask\]'"):
        make_executor(scheduler="tcp://127.0.0.1:8786")


def test_a_worker_that_dies_is_a_failed_trial_and_the_pool_restarts(tmp_path):
    crash = Quadratic({"x": 0.5, "m": "fine"}, crash_when={"m": "bad"})
    records = search(tmp_path, "grid", LocalExecutor(1), 6, objective=crash)
    assert len(records) == 6
    lost = [r for r in records if r["status"] == "failed"]
    assert lost and all(r["settings"]["m"] == "bad" and "worker lost" in r["error"] for r in lost)
    assert sum(r["status"] == "ok" for r in records) == 6 - len(lost)


def test_resuming_trials_from_another_space_is_an_error(tmp_path):
    TrialLog(tmp_path).append({"trial": 0, "status": "ok", "score": 1.0, "settings": {"y": 1.0}})
    with pytest.raises(EmbedError, match="no 'x' setting"):
        search(tmp_path, "random", LocalExecutor(1), 3)
