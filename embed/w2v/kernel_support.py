"""What every training kernel shares besides the math: its numba options, ``prefetch_row``
(``prefetch_row_l2``), ``prefetch_item`` and the row operations of the dense blocks, four rows
a pass (``dot4``, ``axpy4``, ``cross4``)."""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# error_model="numpy": a float division by zero gives inf/NaN (caught by the divergence checks)
# instead of a ZeroDivisionError check on every division of the hot loops.
KERNEL_JIT = dict(cache=True, nogil=True, fastmath=True, error_model="numpy")


def _prefetch_lines(context, builder, signature, args, locality):
    """Code for a prefetch of every 64-byte line of row args[1] of the 2-D array args[0]."""
    aryty, rowty = signature.args
    ary = context.make_array(aryty)(context, builder, args[0])
    r = context.cast(builder, args[1], rowty, types.intp)
    ncols = cgutils.unpack_tuple(builder, ary.shape)[1]
    const = lambda v: context.get_constant(types.intp, v)  # noqa: E731
    rowbytes = builder.mul(ncols, const(aryty.dtype.bitwidth // 8))
    start = builder.add(builder.ptrtoint(ary.data, ir.IntType(64)), builder.mul(r, rowbytes))
    i8p = ir.IntType(8).as_pointer()
    i32 = ir.IntType(32)
    fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
    lines = builder.udiv(builder.add(rowbytes, const(63)), const(64))
    with cgutils.for_range(builder, lines) as loop:
        addr = builder.add(start, builder.mul(loop.index, const(64)))
        # read access, the given temporal locality, data cache
        builder.call(fn, [builder.inttoptr(addr, i8p), i32(0), i32(locality), i32(1)])
    return context.get_dummy_value()


def _row_args(arr, row) -> bool:
    return (isinstance(arr, types.Array) and arr.ndim == 2 and arr.layout == "C"
            and isinstance(row, types.Integer))


@intrinsic
def prefetch_row(typingctx, arr, row):
    """Hint the CPU to start loading row ``row`` of a 2-D C-contiguous array (every 64-byte
    line of it) into cache. The kernels call it one step ahead for the rows they will touch
    next, which hides most of the memory latency of the random row accesses (CBOW +40%)."""
    if not _row_args(arr, row):
        return None
    return types.void(arr, row), lambda c, b, s, a: _prefetch_lines(c, b, s, a, 3)


@intrinsic
def prefetch_row_l2(typingctx, arr, row):
    """``prefetch_row`` into the second-level cache only (x86 ``prefetcht2``): for a burst of
    rows (a subword word's ~20 rows, 140 lines) a first-level prefetch of each line waits for one
    of the few first-level fill buffers and stalls the instructions behind it; the rows' first
    reads then stream them from L2 (subword CBOW +10%)."""
    if not _row_args(arr, row):
        return None
    return types.void(arr, row), lambda c, b, s, a: _prefetch_lines(c, b, s, a, 1)


@intrinsic
def prefetch_item(typingctx, arr, index):
    """Hint the CPU to start loading the cache line of ``arr[index]`` (a 1-D contiguous array):
    for a random read of a table too large for the caches that the kernel can compute ahead
    (the negative-sampling table, whose draws the generator fixes before they are made)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.layout in "CF"
            and isinstance(index, types.Integer)):
        return None
    sig = types.void(arr, index)

    def codegen(context, builder, signature, args):
        aryty, idxty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        i = context.cast(builder, args[1], idxty, types.intp)
        size = context.get_constant(types.intp, aryty.dtype.bitwidth // 8)
        addr = builder.add(builder.ptrtoint(ary.data, ir.IntType(64)), builder.mul(i, size))
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.inttoptr(addr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


# Four rows a pass: one pass over the columns loads the shared row once for four multiply-adds
# (the kernels move rows through L1 more than they compute); a remainder goes one row at a time.
# Together with the branch-free sigmoid this made the skip-gram block step 2x faster than one
# row a pass.

@njit(**KERNEL_JIT, inline="always")
def dot(a, i, b, j):
    """a[i] . b[j] (rows of 2-D float32 arrays)."""
    s = np.float32(0.0)
    for d in range(a.shape[1]):
        s += a[i, d] * b[j, d]
    return s


@njit(**KERNEL_JIT, inline="always")
def dot4(a, i, b, j0, j1, j2, j3):
    """(a[i] . b[j0], ..., a[i] . b[j3])."""
    s0 = s1 = s2 = s3 = np.float32(0.0)
    for d in range(a.shape[1]):
        x = a[i, d]
        s0 += x * b[j0, d]
        s1 += x * b[j1, d]
        s2 += x * b[j2, d]
        s3 += x * b[j3, d]
    return s0, s1, s2, s3


@njit(**KERNEL_JIT, inline="always")
def axpy(y, i, g, x, j):
    """y[i] += g * x[j]."""
    for d in range(y.shape[1]):
        y[i, d] += g * x[j, d]


@njit(**KERNEL_JIT, inline="always")
def axpy4(y, i, g0, g1, g2, g3, x, j0, j1, j2, j3):
    """y[i] += g0 x[j0] + g1 x[j1] + g2 x[j2] + g3 x[j3]."""
    for d in range(y.shape[1]):
        y[i, d] += (g0 * x[j0, d] + g1 * x[j1, d]) + (g2 * x[j2, d] + g3 * x[j3, d])


@njit(**KERNEL_JIT, inline="always")
def cross(y, i, g, x, j, dx, k):
    """One input row x[j] against one output row y[i] in one pass: dx[k] += g y[i] (its value
    before), then y[i] += g x[j]."""
    for d in range(y.shape[1]):
        yd = y[i, d]
        dx[k, d] += g * yd
        y[i, d] = yd + g * x[j, d]


@njit(**KERNEL_JIT, inline="always")
def cross4(y, i0, i1, i2, i3, g0, g1, g2, g3, x, j, dx, k):
    """``cross`` against four distinct output rows: dx[k] += g0 y[i0] + ... + g3 y[i3], then
    y[i0] += g0 x[j], ..., y[i3] += g3 x[j]."""
    for d in range(y.shape[1]):
        y0 = y[i0, d]
        y1 = y[i1, d]
        y2 = y[i2, d]
        y3 = y[i3, d]
        xd = x[j, d]
        dx[k, d] += (g0 * y0 + g1 * y1) + (g2 * y2 + g3 * y3)
        y[i0, d] = y0 + g0 * xd
        y[i1, d] = y1 + g1 * xd
        y[i2, d] = y2 + g2 * xd
        y[i3, d] = y3 + g3 * xd
