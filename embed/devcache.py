"""A numba cache that follows the source, for working on embed itself (tests, benchmarks).

numba decides whether a cached kernel is stale from the file that defines it alone: a change to
an inlined helper in another module (``kernel_support``, ``sampling``, ``embed.nn``) leaves the
kernels that use it cached with the old helper, and tests or benchmarks silently run old code.
`use_source_keyed_cache` points ``NUMBA_CACHE_DIR`` at a folder named for a hash of every
module of the package, so any change to any of them compiles afresh. It must run before numba
is imported, and does nothing when ``NUMBA_CACHE_DIR`` is already set. An installed package
does not need it: installing writes every file anew.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def source_hash(root: Path = PACKAGE) -> str:
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def use_source_keyed_cache(base: Path | None = None) -> Path | None:
    """Set NUMBA_CACHE_DIR to ``base``/<source hash> (default: ``.numba-cache`` beside the
    package) unless it is set; older hashes' folders are removed. Returns the folder used."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    base = base or PACKAGE.parent / ".numba-cache"
    here = base / source_hash()
    if base.is_dir():
        for old in base.iterdir():
            if old != here:
                shutil.rmtree(old, ignore_errors=True)
    here.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(here)
    return here
