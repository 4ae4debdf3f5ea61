"""What every training kernel shares besides the math: its numba options and ``prefetch_row``."""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# error_model="numpy": a float division by zero gives inf/NaN (caught by the divergence checks)
# instead of a ZeroDivisionError check on every division of the hot loops.
KERNEL_JIT = dict(cache=True, nogil=True, fastmath=True, error_model="numpy")


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
