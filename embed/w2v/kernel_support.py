"""What every training kernel shares besides the math: its numba options, ``prefetch_row``
(``prefetch_row_l2``), ``prefetch_item``, the row operations of the dense blocks, four rows a
pass (``dot4``, ``axpy4``, ``cross4``) and the 4 x 4 tiles of scores and updates (``dot44``,
``axpy44``), and a sigmoid that vectorizes (``sigmoid_fast``)."""
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


@intrinsic
def _float32_from_bits(typingctx, bits):
    """The float32 whose IEEE bits are the low 32 bits of the integer ``bits`` (a
    reinterpretation, no conversion)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        low = builder.trunc(args[0], ir.IntType(32)) if bits.bitwidth > 32 else args[0]
        return builder.bitcast(low, ir.FloatType())

    return types.float32(bits), codegen


_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693145751953125)      # 12 significant bits: k * _LN2_HI is exact
_LN2_LO = np.float32(1.4286068203094173e-06)
_EXP_FLOOR = np.float32(-87.0)      # e^-87 ~ 1.6e-38: still a normal float32
_HALF = np.float32(0.5)
_BIAS = np.int32(127)
_MANTISSA = np.int32(23)
# 1/k! for k = 6 .. 2: e^u on |u| <= ln2 / 2 by Taylor to degree 6 (relative error < 2e-7)
_C6, _C5, _C4, _C3, _C2 = (np.float32(1 / 720), np.float32(1 / 120), np.float32(1 / 24),
                           np.float32(1 / 6), np.float32(0.5))


@njit(**KERNEL_JIT, inline="always")
def exp_nonpositive(x):
    """e^x for float32 x <= 0 (below -87: e^-87), as 2^k e^u with k the nearest integer to
    x log2(e) and |u| <= ln2 / 2: a polynomial and an exponent written into the bits, no libm
    call and no branch, so loops over it vectorize; within 5e-7 of np.exp (relative, as the
    kernels compile it: fastmath reassociates the polynomial)."""
    x = max(x, _EXP_FLOOR)
    k = np.int32(x * _LOG2E - _HALF)        # truncation of a number <= 0: the nearest integer
    kf = np.float32(k)
    u = (x - kf * _LN2_HI) - kf * _LN2_LO   # ln2 in two parts: u exact to float32 rounding
    p = _ONE + u * (_ONE + u * (_C2 + u * (_C3 + u * (_C4 + u * (_C5 + u * _C6)))))
    return p * _float32_from_bits((k + _BIAS) << _MANTISSA)


@njit(**KERNEL_JIT, inline="always")
def sigmoid_fast(x):
    """1 / (1 + e^-x) for float32 x, as ``embed.nn.activations.sigmoid_scalar`` computes it
    (e = e^-|x|, then 1 / (1 + e) or e / (1 + e)) but with ``exp_nonpositive``: the per-node
    sigmoid of hierarchical softmax was a libm call per score (8% of skip-gram's time); within
    1.2e-7 of ``sigmoid_scalar`` (one float32 step at 1)."""
    e = exp_nonpositive(-abs(x))
    r = _ONE / (_ONE + e)
    return r if x >= _ZERO else e * r


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
def dot44(a, i0, i1, i2, i3, b, j0, j1, j2, j3):
    """The 4 x 4 dot products a[i_r] . b[j_c] in one pass (row-major tuple of 16): eight row
    loads for sixteen multiply-adds, where four ``dot4`` passes load twenty rows."""
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = np.float32(0.0)
    s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = np.float32(0.0)
    for d in range(a.shape[1]):
        x0 = a[i0, d]
        x1 = a[i1, d]
        x2 = a[i2, d]
        x3 = a[i3, d]
        y0 = b[j0, d]
        y1 = b[j1, d]
        y2 = b[j2, d]
        y3 = b[j3, d]
        s00 += x0 * y0
        s01 += x0 * y1
        s02 += x0 * y2
        s03 += x0 * y3
        s10 += x1 * y0
        s11 += x1 * y1
        s12 += x1 * y2
        s13 += x1 * y3
        s20 += x2 * y0
        s21 += x2 * y1
        s22 += x2 * y2
        s23 += x2 * y3
        s30 += x3 * y0
        s31 += x3 * y1
        s32 += x3 * y2
        s33 += x3 * y3
    return (s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33)


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
def axpy44(y, i0, i1, i2, i3, g, a, t, by_target, x, j0, j1, j2, j3):
    """y[i_r] += sum_c G[r, c] x[j_c] for r, c < 4 in one pass (eight rows loaded, four stored,
    where four ``axpy4`` passes load twenty): G[r, c] = g[a + r, t + c], or with ``by_target``
    g[a + c, t + r] (the 4 x 4 tile of a block's gradient g[input, target], seen from the
    inputs or from the targets)."""
    if by_target:
        g00, g01, g02, g03 = g[a, t], g[a + 1, t], g[a + 2, t], g[a + 3, t]
        g10, g11, g12, g13 = g[a, t + 1], g[a + 1, t + 1], g[a + 2, t + 1], g[a + 3, t + 1]
        g20, g21, g22, g23 = g[a, t + 2], g[a + 1, t + 2], g[a + 2, t + 2], g[a + 3, t + 2]
        g30, g31, g32, g33 = g[a, t + 3], g[a + 1, t + 3], g[a + 2, t + 3], g[a + 3, t + 3]
    else:
        g00, g01, g02, g03 = g[a, t], g[a, t + 1], g[a, t + 2], g[a, t + 3]
        g10, g11, g12, g13 = g[a + 1, t], g[a + 1, t + 1], g[a + 1, t + 2], g[a + 1, t + 3]
        g20, g21, g22, g23 = g[a + 2, t], g[a + 2, t + 1], g[a + 2, t + 2], g[a + 2, t + 3]
        g30, g31, g32, g33 = g[a + 3, t], g[a + 3, t + 1], g[a + 3, t + 2], g[a + 3, t + 3]
    for d in range(y.shape[1]):
        x0 = x[j0, d]
        x1 = x[j1, d]
        x2 = x[j2, d]
        x3 = x[j3, d]
        y[i0, d] += (g00 * x0 + g01 * x1) + (g02 * x2 + g03 * x3)
        y[i1, d] += (g10 * x0 + g11 * x1) + (g12 * x2 + g13 * x3)
        y[i2, d] += (g20 * x0 + g21 * x1) + (g22 * x2 + g23 * x3)
        y[i3, d] += (g30 * x0 + g31 * x1) + (g32 * x2 + g33 * x3)


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
