"""One writer per directory: an exclusive, non-blocking lock on ``DIR/.lock``.

    from embed.lock import hold_dir_lock

    with hold_dir_lock(out_dir, what="embed train"):
        ...  # write into out_dir; a second writer gets an EmbedError naming this one

The lock is ``flock(LOCK_EX | LOCK_NB)`` on a file inside the directory, so the kernel releases
it when the holder's last descriptor closes: at the end of the ``with`` block, at exit, and when
the process dies in any way (kill -9 included). A lock can never go stale, and nothing has to
guess whether a recorded process is still alive. The file itself stays (removing it would let a
third process lock a fresh file while a second still waits on the old one); while held it
records who holds it (pid, host, command, start time) so the refusal can name the holder.

The descriptor is not inherited by child processes (Python opens files close-on-exec), so worker
processes neither keep the lock after their master dies nor take it over. POSIX only (``fcntl``);
on NFS, Linux maps ``flock`` to byte-range locks the server arbitrates between machines.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Iterator

from embed.atomic import cannot_write, make_dirs
from embed.errors import EmbedError

LOCK_NAME = ".lock"
# directories whose lock this process holds now (resolved paths)
_HELD: set[str] = set()


@contextlib.contextmanager
def hold_dir_lock(path: str | os.PathLike, what: str = "embed") -> Iterator[Path]:
    """Hold the exclusive lock on directory ``path`` (created if missing) for the block.

    ``what`` names the holder's task in the refusal another writer sees (e.g. "embed tune").
    Yields the lock file's path. Raises EmbedError (one line) when another process, or another
    ``hold_dir_lock`` in this one, holds the lock, or when the lock file cannot be created.
    """
    directory = Path(path)
    make_dirs(directory)
    lock_path = directory / LOCK_NAME
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:  # read-only file system, no permission, a directory in the way
        raise cannot_write(lock_path, e) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EmbedError(f"{directory} is in use by {_describe(_read_holder(fd))}; wait for "
                             f"it to finish or choose another directory") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "what": what,
                  "command": _command_line(), "since": time.time()}
        _rewrite(fd, json.dumps(holder) + "\n", lock_path)
        key = str(directory.resolve())
        _HELD.add(key)
        try:
            yield lock_path
        finally:
            _HELD.discard(key)
            # Released (and emptied) before the descriptor closes, so no reader sees a holder
            # that is gone. A failure to empty it is harmless: the lock is what counts.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def held_here(path: str | os.PathLike) -> bool:
    """Whether this process holds the lock on directory ``path``."""
    return str(Path(path).resolve()) in _HELD


@contextlib.contextmanager
def writer_lock(path: str | os.PathLike, what: str = "embed") -> Iterator[None]:
    """The lock for one write into ``path``: nothing to do if this process already holds it
    (a trainer holds its model directory for the whole run), else held for the block."""
    if held_here(path):
        yield
        return
    with hold_dir_lock(path, what=what):
        yield


@contextlib.contextmanager
def try_lock(path: str | os.PathLike) -> Iterator[bool]:
    """For a reader about to tidy ``path``: True (and the lock held for the block) when no other
    process writes there; False when one does or the lock cannot be taken (a read-only copy)."""
    if held_here(path):
        yield True
        return
    try:
        fd = os.open(Path(path) / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_holder(path: str | os.PathLike) -> dict | None:
    """Who holds the lock on directory ``path`` right now (the recorded dict), or None.

    A diagnostic: to tell, it takes a shared lock for an instant, during which a writer trying
    to start would be refused."""
    lock_path = Path(path) / LOCK_NAME
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd) or {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _rewrite(fd: int, text: str, lock_path: Path) -> None:
    data = text.encode("utf-8")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
    except OSError as e:  # disk full: refuse now, before any real work is written
        raise cannot_write(lock_path, e) from None


def _read_holder(fd: int) -> dict:
    """The holder's record; {} while it is still being written or when it is unreadable."""
    try:
        data = os.pread(fd, 64 * 1024, 0)
        holder = json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _describe(holder: dict) -> str:
    if not holder:
        return "another process"
    parts = [f"pid {holder.get('pid', '?')}"]
    if holder.get("host") and holder["host"] != socket.gethostname():
        parts[0] += f" on {holder['host']}"
    since = holder.get("since")
    if isinstance(since, (int, float)):
        parts.append("since " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since)))
    who = str(holder.get("what") or "another process")
    command = str(holder.get("command") or "")
    if command:
        parts.append(f"running: {command[:200]}")
    return f"{who} ({', '.join(parts)})"


def _command_line() -> str:
    if not sys.argv or not sys.argv[0]:
        return ""
    program = os.path.basename(sys.argv[0])
    if program == "__main__.py":  # python -m PACKAGE
        program = "python -m " + os.path.basename(os.path.dirname(sys.argv[0]))
    return " ".join([program, *sys.argv[1:]])
