"""Hogwild: worker threads run nogil kernels on chunks of one epoch, all writing the same tables.

Workers take chunk numbers in order from a shared counter and report each finished chunk on a
queue; ``results()`` yields them in the calling (main) thread, so progress, callbacks and Ctrl-C
are all handled there. ``stop()`` lets in-flight chunks finish and hands out no more, after which
the chunks done are exactly [start, next_chunk) and ``drain()`` gives the ones not yet yielded.
"""
from __future__ import annotations

import os
import queue
import threading
from typing import Callable, NamedTuple

import numpy as np

from embed.w2v.schedule import Schedule


class ChunkResult(NamedTuple):
    chunk: int
    words: int        # corpus words in the chunk (before subsampling)
    trained: int      # words trained after subsampling
    loss: float       # summed loss over the sampled examples
    examples: int     # examples in that sum
    lr: float         # the learning rate at the end of the chunk


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class EpochRunner:
    """Runs chunks [start, schedule.chunks) of ``epoch`` on ``threads`` threads.

    ``make_worker()`` is called once per thread and returns run(ids, ends, alpha, seed) ->
    (trained, loss, examples[, lr after the chunk]); each thread thus owns its scratch memory.
    """

    def __init__(self, make_worker: Callable, ids: np.ndarray, schedule: Schedule, epoch: int,
                 start: int, threads: int):
        self.schedule, self.epoch, self.ids = schedule, epoch, ids
        self.next_chunk = start
        self.lock = threading.Lock()
        self.done: queue.Queue = queue.Queue()
        self.halt = threading.Event()
        n = max(1, min(threads, schedule.chunks - start))
        self.workers = [threading.Thread(target=self._work, args=(make_worker,), daemon=True)
                        for _ in range(n)]
        for t in self.workers:
            t.start()

    def _take(self):
        with self.lock:
            if self.halt.is_set() or self.next_chunk >= self.schedule.chunks:
                return None
            c = self.next_chunk
            self.next_chunk += 1
            return c

    def _work(self, make_worker):
        plan = self.schedule
        try:
            run = make_worker()
            while (c := self._take()) is not None:
                lo, hi = plan.bounds(c)
                alpha = plan.alpha(self.epoch, c)
                out = run(np.asarray(self.ids[lo:hi]), plan.sentence_ends(c), alpha,
                          plan.seed(self.epoch, c))
                lr = out[3] if len(out) > 3 else alpha
                self.done.put(ChunkResult(c, hi - lo, int(out[0]), float(out[1]), int(out[2]),
                                          float(lr)))
        except BaseException as e:  # surfaced in the main thread
            self.halt.set()
            self.done.put(e)
        finally:
            self.done.put(None)

    def results(self):
        """Yield each finished chunk's ChunkResult; re-raise a worker's exception."""
        alive = len(self.workers)
        while alive:
            try:
                item = self.done.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                alive -= 1
            elif isinstance(item, BaseException):
                self.stop()
                raise item
            else:
                yield item

    def stop(self) -> None:
        self.halt.set()
        for t in self.workers:
            t.join()

    def drain(self) -> list[ChunkResult]:
        """After ``stop()``: the chunks that finished but were not yielded."""
        out = []
        while True:
            try:
                item = self.done.get_nowait()
            except queue.Empty:
                return out
            if isinstance(item, ChunkResult):
                out.append(item)
