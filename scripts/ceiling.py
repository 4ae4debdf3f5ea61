"""The hardware's ceiling for the thread benchmark: N independent one-thread training processes.

Each process owns its own tables, so nothing is shared between cores but the memory bus and the
last-level cache: the total words/s of N such processes is what N cores can do when threads do
not slow each other by writing the same rows. ``ProcessPool`` starts the processes once (each
loads the id stream by memory map and the compiled kernels) and then runs jobs: every process
trains its share of a slice of the corpus, all starting at the same wall-clock instant.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def timed_training(vocab, ids, settings, threads: int):
    """Train a fresh model as ``embed.w2v.train.train`` does, timing only its epochs (the
    Hogwild runner and the kernels), not the table set-up, which costs the same in every
    configuration and would swamp the short slices that one-thread processes get.

    Returns (wall seconds, CPU seconds of this process, the model)."""
    from embed.w2v import sampling
    from embed.w2v.checkpoint import fresh_start
    from embed.w2v.fused import worker_factory
    from embed.w2v.hogwild import EpochRunner
    from embed.w2v.schedule import Schedule

    model = fresh_start(vocab, settings).model
    plan = Schedule(len(ids), settings)
    keep = sampling.keep_probabilities(vocab.counts, settings.sample, settings.keep_unk)
    table = sampling.negative_table(vocab.counts, settings.keep_unk)
    make_worker = worker_factory(model, keep, table, settings, plan.max_chunk)
    t, c = time.perf_counter(), time.process_time()
    for epoch in range(settings.epochs):
        for _ in EpochRunner(make_worker, ids, plan, epoch, 0, threads).results():
            pass
    return time.perf_counter() - t, time.process_time() - c, model


def _worker(conn, ids_path: str, words: list, counts: np.ndarray) -> None:
    sys.path.insert(0, str(ROOT))
    from embed.data.vocab import Vocabulary
    from embed.w2v.settings import TrainSettings

    ids = np.load(ids_path, mmap_mode="r")
    vocab = Vocabulary(words, counts)
    conn.send("ready")
    while True:
        job = conn.recv()
        if job is None:
            return
        lo, hi, fields, env, start_at = job
        os.environ.update(env)
        part = np.ascontiguousarray(ids[lo:hi])
        settings = TrainSettings(**fields)
        time.sleep(max(0.0, start_at - time.time()))
        t = time.time()
        _, cpu, _ = timed_training(vocab, part, settings, 1)
        conn.send((t, time.time(), cpu))


class ProcessPool:
    """``size`` one-thread trainer processes over the id stream saved at ``ids_path``."""

    def __init__(self, size: int, ids_path: Path, vocab):
        ctx = mp.get_context("spawn")   # a clean interpreter each: no state forked from threads
        self.conns, self.procs = [], []
        for _ in range(size):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=_worker, args=(theirs, str(ids_path), vocab.words,
                                                  np.asarray(vocab.counts)), daemon=True)
            p.start()
            self.conns.append(mine)
            self.procs.append(p)
        for conn in self.conns:
            if conn.recv() != "ready":
                raise RuntimeError("a ceiling process failed to start")

    def run(self, n: int, lo: int, hi: int, fields: dict, env: dict | None = None):
        """Words [lo, hi) split into ``n`` parts, one per process, trained at the same time.

        Returns (words per wall second of the whole, words per CPU-second summed over the
        processes)."""
        bounds = np.linspace(lo, hi, n + 1).astype(np.int64)
        start_at = time.time() + 0.3
        for i in range(n):
            self.conns[i].send((int(bounds[i]), int(bounds[i + 1]), fields, env or {}, start_at))
        done = [self.conns[i].recv() for i in range(n)]
        wall = max(end for _, end, _ in done) - min(begin for begin, _, _ in done)
        cpu = sum(c for _, _, c in done)
        return (hi - lo) / wall, (hi - lo) / cpu

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for p in self.procs:
            p.join(timeout=5)
