"""Where trials run: a local process pool (default) or a Dask cluster.

Both are used the same way by the master (:mod:`embed.tune.runner`): ``submit(fn, *args)`` gives
a future, ``wait(futures)`` returns those that finished, ``capacity`` is how many trials to keep
running at once. ``fn`` and its arguments must be picklable; for Dask on several machines the
corpus cache and evaluation files they name must be readable at the same paths on every worker
(a shared file system), since trials receive paths, never arrays.
"""
from __future__ import annotations

import concurrent.futures as cf
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time

from embed.errors import EmbedError


class LocalExecutor:
    """A ``ProcessPoolExecutor`` of ``workers`` processes.

    Workers are started with ``spawn``: the master may hold threads (numba, tqdm) that a forked
    child would inherit in a broken state. A worker that dies (killed, out of memory, crashed
    kernel) breaks the pool; the trial it ran is recorded as failed and a new pool is started.
    Workers die with their master, however it ends (see :func:`_die_with_master`).
    """

    kind = "local"

    def __init__(self, workers: int = 1):
        if workers < 1:
            raise EmbedError(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self._pool = self._new_pool()

    def _new_pool(self):
        return cf.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_die_with_master, initargs=(os.getpid(),))

    @property
    def capacity(self) -> int:
        return self.workers

    def describe(self) -> str:
        return f"local pool of {self.workers} worker process{'es' if self.workers > 1 else ''}"

    def submit(self, fn, *args):
        try:
            return self._pool.submit(fn, *args)
        except cf.process.BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(fn, *args)

    def wait(self, futures):
        done, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
        return done

    def close(self, cancel: bool = False):
        pool, self._pool = self._pool, None
        if pool is None:  # closed already
            return
        if not cancel:
            pool.shutdown(wait=True)
            return
        # Interrupted: running trials are abandoned, so stop their processes now rather than
        # let the interpreter wait for them at exit (only the master gets SIGTERM, say).
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_WATCH_INTERVAL_S = 0.5


def _die_with_master(master_pid: int) -> None:
    """Pool worker initializer: end this worker the moment its master ends, however it ends.

    A master killed with SIGKILL cannot stop its workers, and a worker busy with a trial would
    otherwise train on (holding hundreds of MB) until the trial ends, and an idle one would wait
    forever on its task queue; the pool's resource tracker lives as long as any of them. On
    Linux the kernel sends the worker SIGKILL when its parent dies (PR_SET_PDEATHSIG); on every
    system a daemon thread also checks that the parent is still the master (reparented to init
    or a subreaper means the master is gone) and exits. Once master and workers are gone, the
    resource tracker reads end-of-file on its pipe and exits as well.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the thread remains
            pass
    if os.getppid() != master_pid:  # the master died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch_master, args=(master_pid,), name="embed-watch-master",
                     daemon=True).start()


def _watch_master(master_pid: int) -> None:
    while os.getppid() == master_pid:
        time.sleep(_WATCH_INTERVAL_S)
    os._exit(1)


class DaskExecutor:
    """Trials submitted to a ``dask.distributed`` scheduler (``tcp://HOST:PORT``).

    ``capacity`` defaults to the number of worker threads the cluster has when the search starts.
    """

    kind = "dask"

    def __init__(self, address: str, workers: int | None = None, timeout: float = 10.0):
        try:
            import distributed
        except ImportError:
            raise EmbedError("--scheduler needs dask.distributed: pip install 'embed[dask]'") from None
        self._distributed = distributed
        self.address = address
        try:
            self.client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise EmbedError(f"cannot reach the Dask scheduler at {address} ({e})") from None
        if workers is None:
            workers = sum(self.client.nthreads().values())
            if workers < 1:
                self.client.close()
                raise EmbedError(f"the Dask scheduler at {address} has no workers")
        self.workers = workers

    @property
    def capacity(self) -> int:
        return self.workers

    def describe(self) -> str:
        return f"Dask cluster at {self.address} ({self.workers} trials at once)"

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def wait(self, futures):
        with self.client.as_current():
            return self._distributed.wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel: bool = False):
        # Trials still queued or running are cancelled either way: the master stops waiting.
        try:
            self.client.close()
        except Exception:  # pragma: no cover - closing a lost connection
            pass


def make_executor(workers: int | None = None, scheduler: str | None = None):
    if scheduler:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")):
            raise EmbedError(f"--scheduler wants an address like tcp://HOST:PORT, got {scheduler!r}")
        return DaskExecutor(scheduler, workers)
    return LocalExecutor(workers or max(1, (os.cpu_count() or 1) // 2))
