"""How much memory a subword model takes, and whether this machine has it.

At fastText's defaults the n-gram table alone is 2,000,000 x 100 float32 = 800 MB, so the
trainer states the model's size before it starts and refuses, in one line, a model that cannot
fit instead of failing (or swapping) in the middle of an epoch.
"""
from __future__ import annotations

import os
from pathlib import Path

from embed.errors import EmbedError

FLOAT = 4  # bytes per float32


def model_memory_bytes(nwords: int, bucket: int, dim: int, *, output_rows: int | None = None,
                       subword_ids: int = 0, extra_bytes: int = 0) -> int:
    """Bytes held while training a subword model.

    input table float32 [nwords + bucket, dim] + output table float32 [output_rows (default
    nwords), dim] + the vocabulary's subword table (int64 offsets [nwords + 1], int32 ids
    [subword_ids]) + `extra_bytes` (the caller's: corpus ids, optimizer state, ...).
    """
    out_rows = nwords if output_rows is None else output_rows
    return ((nwords + bucket) * dim * FLOAT + out_rows * dim * FLOAT
            + 8 * (nwords + 1) + 4 * subword_ids + extra_bytes)


def _cgroup_room() -> int | None:
    """Bytes this process's cgroup (v2, then v1) still allows, or None when unlimited."""
    for limit, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                         "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            cap = Path(limit).read_text().strip()
            if cap == "max" or int(cap) >= 1 << 60:
                return None
            return max(0, int(cap) - int(Path(used).read_text().strip()))
        except (OSError, ValueError):
            continue
    return None


def available_memory_bytes() -> int | None:
    """Memory a new allocation can take without swapping: /proc/meminfo's MemAvailable (else
    free pages from sysconf), lowered to what a cgroup limit leaves; None when unknown."""
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = None
    room = _cgroup_room()
    if room is not None:
        avail = room if avail is None else min(avail, room)
    return avail


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def check_model_memory(nwords: int, bucket: int, dim: int, *, output_rows: int | None = None,
                       subword_ids: int = 0, extra_bytes: int = 0,
                       available: int | None = None) -> str:
    """The line to print before training (``model memory: ...``); raises `EmbedError` in one
    line when the model needs more than the available memory (`available`, default
    `available_memory_bytes()`; unknown availability is not a refusal)."""
    need = model_memory_bytes(nwords, bucket, dim, output_rows=output_rows,
                              subword_ids=subword_ids, extra_bytes=extra_bytes)
    if available is None:
        available = available_memory_bytes()
    table = f"({nwords:,} words + {bucket:,} buckets) x {dim} float32"
    if available is not None and need > available:
        raise EmbedError(f"the model needs {human_bytes(need)} (input table {table}, plus the "
                         f"output table) but only {human_bytes(available)} of memory is "
                         "available: lower --bucket or --dim")
    free = "" if available is None else f", {human_bytes(available)} available"
    return f"model memory: {human_bytes(need)} (input table {table}){free}"
