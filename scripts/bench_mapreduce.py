"""Map-reduce gradients: serial vs parallel time for one batch gradient on 2 cores.

The gradient of a softmax classifier's mean cross-entropy on a batch of m examples, computed
(1) serially by one numba kernel, (2) as 2 chunks in a numba prange, (3) as 2 chunks on 2
threads running the GIL-free kernel, each chunk's gradient summed at the end. Runs are
interleaved (serial, prange, threads, serial, ...) and timed `--repeats` times; medians reported.
speedup = serial median / parallel median (2.00 would be perfect on 2 idle cores).

A second section does the same for a whole network of numpy layers (Dense-Tanh-Dense-Tanh-Dense,
float32): one forward/backward of the batch vs `ParallelGradients` (2 chunks on 2 threads, each
replica sharing the weights), both with single-threaded BLAS so the chunks are the only
parallelism; the serial run with BLAS's own threads is shown for reference.

On a machine shared with other busy processes the thread pool usually fares better than prange:
numba's OpenMP workers spin-wait for each other, which costs when cores are oversubscribed.
"""
from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from threadpoolctl import threadpool_limits

from embed.nn import layers as L
from embed.nn import mapreduce as mr
from embed.nn.losses import softmax_cross_entropy


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=40_000)
    ap.add_argument("--features", type=int, default=256)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args(argv)

    numba.set_num_threads(min(args.workers, numba.config.NUMBA_NUM_THREADS))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.examples, args.features))
    Y = np.eye(args.classes)[rng.integers(0, args.classes, args.examples)]
    W = 0.05 * rng.standard_normal((args.features, args.classes))
    b = np.zeros(args.classes)
    k = args.workers
    pool = ThreadPoolExecutor(k)
    ways = {
        "serial": lambda: mr.softmax_regression_grad(X, Y, W, b),
        "prange": lambda: mr.softmax_regression_grad_prange(X, Y, W, b, n_chunks=k),
        "threads": lambda: mr.softmax_regression_grad_threads(X, Y, W, b, k, k, pool),
    }
    ref = {name: fn() for name, fn in ways.items()}  # also compiles every kernel
    for name in ("prange", "threads"):
        diff = max(float(np.max(np.abs(a - s))) for a, s in zip(ref[name][1:], ref["serial"][1:]))
        print(f"{name:<8} max |grad - serial grad| = {diff:.2e}, "
              f"|loss - serial loss| = {abs(ref[name][0] - ref['serial'][0]):.2e}")
    times = {name: [] for name in ways}
    for _ in range(args.repeats):
        for name, fn in ways.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {name: float(np.median(t)) for name, t in times.items()}
    print(f"batch {args.examples} x {args.features} features x {args.classes} classes, "
          f"{k} chunks / workers, median of {args.repeats}")
    for name in ways:
        print(f"  {name:<8} {med[name] * 1e3:8.1f} ms")
    print("speedup = serial median / parallel median")
    pool.shutdown()
    net_speedup = bench_network(args.repeats, k)
    print(f"speedup_prange={med['serial'] / med['prange']:.2f} "
          f"speedup_threads={med['serial'] / med['threads']:.2f} "
          f"speedup_network={net_speedup:.2f}")


def bench_network(repeats, k, m=8192, width=256):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((m, width)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, m)]
    net = L.Sequential([L.Dense(width, width, seed=0), L.Tanh(), L.Dense(width, width, seed=1),
                        L.Tanh(), L.Dense(width, 10, seed=2)])
    pg = mr.ParallelGradients(net, softmax_cross_entropy, n_chunks=k, n_workers=k)

    def serial():
        cost, d = softmax_cross_entropy(net.forward(X), Y)
        net.backward(d)
        return cost, [g.copy() for g in net.grads()]

    ref, par = serial(), pg(X, Y)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(ref[1], par[1]))
    print(f"\nnetwork {width}-{width}-{width}-10 on {m} examples (float32): "
          f"max |grad - serial grad| = {diff:.1e}")
    times = {"serial, BLAS 1 thread": [], f"map-reduce, {k} threads": [],
             f"serial, BLAS {k} threads": []}
    for _ in range(repeats):
        for name in times:
            limit = k if name.startswith("serial, BLAS") and not name.endswith("1 thread") else 1
            with threadpool_limits(limits=limit, user_api="blas"):
                t0 = time.perf_counter()
                serial() if name.startswith("serial") else pg(X, Y)
                times[name].append(time.perf_counter() - t0)
    pg.close()
    med = {name: float(np.median(t)) for name, t in times.items()}
    for name, t in med.items():
        print(f"  {name:<24} {t * 1e3:8.1f} ms")
    return med["serial, BLAS 1 thread"] / med[f"map-reduce, {k} threads"]


if __name__ == "__main__":
    main()
