"""Scalar helpers shared by the training kernels (inlined by numba into each kernel)."""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# Beyond |x| = 12 the logistic is 1 or 0 to float32 precision; clipping keeps exp() finite, which
# fastmath assumes.
_CLIP = np.float32(12.0)
_ONE = np.float32(1.0)


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def sigmoid(x):
    if x > _CLIP:
        x = _CLIP
    elif x < -_CLIP:
        x = -_CLIP
    return _ONE / (_ONE + np.exp(-x))


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def logistic_loss(score, label):
    """-log sigmoid(score) for label 1, -log sigmoid(-score) for label 0 (softplus form)."""
    z = -score if label > 0 else score
    if z > _CLIP:
        return z
    if z < -_CLIP:
        z = -_CLIP
    return np.log1p(np.exp(z))



@intrinsic
def prefetch_row(typingctx, arr, row):
    """Hint the CPU to start loading row ``row`` of a 2-D C-contiguous array (every 64-byte
    line of it) into cache. The kernels call it one step ahead for the rows they will touch
    next, which hides most of the memory latency of the random row accesses (CBOW +40%)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and arr.layout == "C"
            and isinstance(row, types.Integer)):
        return None
    sig = types.void(arr, row)

    def codegen(context, builder, signature, args):
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
            # read access, high temporal locality, data cache
            builder.call(fn, [builder.inttoptr(addr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
