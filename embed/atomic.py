"""Write files so that a crash or Ctrl-C never leaves a half-written file under the final name."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from embed.errors import EmbedError


def make_dirs(path: str | os.PathLike) -> None:
    """mkdir -p, where a path that cannot be made (a file in the way, no permission) is a user
    error of one line rather than a traceback."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EmbedError(f"cannot create directory {path}: {e.strerror or e}") from None


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, suffix: str = ""):
    """Yield a temporary path beside `final`; on success rename it onto `final`.

    The temporary name lives in the same directory so the rename is atomic on POSIX. On any
    exception (KeyboardInterrupt included) the temporary file is removed and `final` is untouched.
    `suffix` is kept at the end of the temporary name for writers that insist on an extension
    (``np.save`` appends ``.npy`` otherwise).
    """
    final = Path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file stands where a folder should be, or no permission
        raise cannot_write(final, e) from None
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp{suffix}")
    try:
        yield tmp
        try:
            os.replace(tmp, final)
        except OSError as e:  # `final` is a directory, or no permission to replace it
            raise cannot_write(final, e) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def cannot_write(final: str | os.PathLike, e: OSError) -> EmbedError:
    """The one-line user error for an output that the OS refused (folder is a file, no
    permission, disk full)."""
    return EmbedError(f"cannot write {final}: {e.strerror or e}"
                      + (f" ({e.filename})" if e.filename else ""))


def write_text(final: str | os.PathLike, text: str) -> None:
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_npy(final: str | os.PathLike, array) -> None:
    import numpy as np

    with atomic_path(final, suffix=".npy") as tmp:
        np.save(tmp, array)
