"""The master: asks the strategy for settings, keeps the workers busy, records every result.

Trials run through an executor (:mod:`embed.tune.executors`); each one that finishes or fails is
appended to ``trials.jsonl`` at once and told to the strategy, which then proposes the next.
"""
from __future__ import annotations

import os
import socket
import time
import traceback
from typing import Callable

from embed.errors import EmbedError
from embed.tune.results import TrialLog
from embed.tune.strategies import Strategy


def run_trial(objective: Callable, settings: dict) -> dict:
    """Run one trial on a worker. Never raises for a failing objective: it reports the failure.

    ``objective(settings)`` returns a score or a dict with ``score`` and other metrics.
    """
    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        out = objective(settings)
        metrics = dict(out) if isinstance(out, dict) else {"score": out}
        score = float(metrics.pop("score"))
        if score != score or score in (float("inf"), float("-inf")):
            raise EmbedError(f"objective returned {score}")
        return {"status": "ok", "score": score, "metrics": metrics, "error": None,
                "seconds": time.perf_counter() - start, "worker": worker}
    except Exception as e:  # a failed trial is a result, not the end of the search
        msg = f"{type(e).__name__}: {e}".splitlines()[0][:500] if str(e) else type(e).__name__
        return {"status": "failed", "score": None, "metrics": {}, "error": msg,
                "seconds": time.perf_counter() - start, "worker": worker,
                "traceback": None if isinstance(e, EmbedError) else traceback.format_exc()[-4000:]}


def run_search(strategy: Strategy, objective: Callable, executor, log: TrialLog, n_trials: int,
               fixed: dict | None = None, on_record: Callable[[dict], None] | None = None) -> list[dict]:
    """Run trials until ``n_trials`` are recorded in ``log`` (earlier ones included) or the
    strategy is done. Returns every record, resumed ones first.

    Trials already in ``log`` are told to the strategy first, so a resumed search never repeats
    them. ``fixed`` settings are added to every trial (epochs, threads, seed, ...). On Ctrl-C the
    running trials are cancelled; everything recorded so far stays on disk.
    """
    fixed = dict(fixed or {})
    running: dict = {}  # future -> (trial number, settings, submitted at)
    cancelled = True
    try:
        records = log.read()
        for r in records:
            missing = [n for n in strategy.space.names if n not in r["settings"]]
            if missing:
                raise EmbedError(f"{log.path}: trial {r.get('trial')} has no {missing[0]!r} "
                                 f"setting; it belongs to a search over another space")
            strategy.tell(r["settings"], r["score"] if r["status"] == "ok" else None)
        next_trial = max((int(r.get("trial", -1)) for r in records), default=-1) + 1
        while True:
            while (len(running) < executor.capacity and len(records) + len(running) < n_trials):
                proposal = strategy.ask()
                if proposal is None:
                    break
                settings = {**fixed, **proposal}
                fut = executor.submit(run_trial, objective, settings)
                running[fut] = (next_trial, settings, time.time())
                next_trial += 1
            if not running:
                break
            for fut in executor.wait(running):
                trial, settings, submitted = running.pop(fut)
                try:
                    result = fut.result()
                except Exception as e:  # the worker itself died (killed, out of memory, lost)
                    result = {"status": "failed", "score": None, "metrics": {},
                              "error": f"worker lost: {type(e).__name__}: {e}".splitlines()[0][:500],
                              "seconds": time.time() - submitted, "worker": None}
                record = {"trial": trial, "strategy": strategy.name, "settings": settings,
                          **result}
                log.append(record)
                records.append(record)
                strategy.tell(settings, record["score"])
                if on_record is not None:
                    on_record(record)
        cancelled = False
    finally:
        for fut in running:
            fut.cancel()
        executor.close(cancel=cancelled)
    return records
