"""Write files so that a crash or Ctrl-C never leaves a half-written file under the final name.

Every file is written to ``.NAME.PID-HOST.tmp`` beside its final name and renamed into place.
A process killed mid-write (kill -9, power loss) cannot remove its temporary file, so the next
write into the same directory does: :func:`clean_stale_temps` removes files of this naming
scheme whose writer is provably gone (see there for how it spares live writers).
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import socket
import stat
import time
from pathlib import Path

from embed.errors import EmbedError

# Eight hex digits of the host name: a writer on another machine sharing the directory (NFS)
# has a PID that means nothing here, so its temporary files are never judged by it.
HOST_TAG = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d{1,10})(?:-(?P<host>[0-9a-f]{8}))?\.tmp"
                   r"(?:\.[A-Za-z0-9]{1,8})?")
# Older versions wrote ``.NAME.PID.tmp`` without the host: judged only once this old.
_UNTAGGED_AGE_S = 3600.0
# Errors of the writing itself (not of some file the writer reads) that mean "cannot write here".
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.EACCES,
                 errno.EPERM}
_cleaned: set[str] = set()


def make_dirs(path: str | os.PathLike) -> None:
    """mkdir -p, where a path that cannot be made (a file in the way, no permission) is a user
    error of one line rather than a traceback."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EmbedError(f"cannot create directory {path}: {e.strerror or e}") from None


def temp_path(final: str | os.PathLike, suffix: str = "") -> Path:
    """The temporary name this process writes ``final`` under."""
    final = Path(final)
    return final.with_name(f".{final.name}.{os.getpid()}-{HOST_TAG}.tmp{suffix}")


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, suffix: str = ""):
    """Yield a temporary path beside `final`; on success rename it onto `final`.

    The temporary name lives in the same directory so the rename is atomic on POSIX. On any
    exception (KeyboardInterrupt included) the temporary file is removed and `final` is untouched.
    An OSError of the writing (disk full, read-only file system, no permission) becomes one
    EmbedError line naming `final`. `suffix` is kept at the end of the temporary name for writers
    that insist on an extension (``np.save`` appends ``.npy`` otherwise).
    """
    final = Path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file stands where a folder should be, or no permission
        raise cannot_write(final, e) from None
    clean_stale_temps(final.parent, once=True)
    tmp = temp_path(final, suffix)
    try:
        yield tmp
        try:
            os.replace(tmp, final)
        except OSError as e:  # `final` is a directory, or no permission to replace it
            raise cannot_write(final, e) from None
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if e.filename is not None and Path(e.filename) == tmp:
            raise cannot_write(final, OSError(e.errno, e.strerror)) from None
        if e.filename is None and e.errno in _WRITE_ERRNOS:
            raise cannot_write(final, e) from None
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def cannot_write(final: str | os.PathLike, e: OSError) -> EmbedError:
    """The one-line user error for an output that the OS refused (folder is a file, no
    permission, disk full)."""
    other = e.filename is not None and os.fspath(e.filename) != os.fspath(final)
    return EmbedError(f"cannot write {final}: {e.strerror or e}"
                      + (f" ({e.filename})" if other else ""))


def write_text(final: str | os.PathLike, text: str) -> None:
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_npy(final: str | os.PathLike, array) -> None:
    import numpy as np

    with atomic_path(final, suffix=".npy") as tmp:
        np.save(tmp, array)


def clean_stale_temps(directory: str | os.PathLike, once: bool = False) -> list[Path]:
    """Remove the temporary files that killed writers left in ``directory``; return them.

    Only regular files named as :func:`temp_path` names them are candidates, and one is removed
    only when its writer is provably gone: written on this host (its host tag), by a process
    other than this one, and that process is dead, a zombie, or its PID now belongs to a process
    that started after the file was last written (PID reuse: the writer started before it
    created the file). A live writer in another process, or on another machine sharing the
    directory, keeps its file. ``once``: skip a directory this process has already cleaned.
    """
    key = os.path.abspath(directory)
    if once and key in _cleaned:
        return []
    _cleaned.add(key)
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP.fullmatch(entry.name)
        if m is None or int(m["pid"]) in (0, os.getpid()):
            continue
        host = m["host"]
        if host is not None and host != HOST_TAG:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        if host is None and time.time() - st.st_mtime < _UNTAGGED_AGE_S:
            continue
        if _writer_gone(int(m["pid"]), st.st_mtime):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _writer_gone(pid: int, last_write: float) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's process
    except (OSError, OverflowError):
        return False
    info = _process_state(pid)
    if info is None:  # no /proc: alive is all we know
        return False
    state, started = info
    # /proc's start time is exact to a clock tick but the boot time only to a second.
    return state in "ZX" or started > last_write + 2.0


def _process_state(pid: int) -> tuple[str, float] | None:
    """(state letter, start time in seconds since the epoch) from Linux /proc, else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open("/proc/stat", "rb") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith(b"btime "))
        return fields[0].decode(), boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None
