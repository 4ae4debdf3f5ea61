"""embed.atomic: refused writes are one line; temporary files of killed writers are cleaned."""
import errno
import os
import signal
import subprocess
import sys
import time

import pytest

from embed import atomic
from embed.atomic import HOST_TAG, atomic_path, clean_stale_temps, temp_path, write_text
from embed.errors import EmbedError

WRITER = """
import sys, time
from embed.atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    with open(tmp, "w") as f:
        f.write("half of a file")
    print(tmp, flush=True)
    time.sleep(120)
"""


def start_writer(final):
    """A real process in the middle of an atomic write of ``final``; returns (process, tmp)."""
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(final)], stdout=subprocess.PIPE,
                         text=True)
    return p, p.stdout.readline().strip()


def test_kill_9_mid_write_leaves_a_temp_file_that_the_next_write_removes(tmp_path):
    p, tmp = start_writer(tmp_path / "vectors.txt")
    assert os.path.basename(tmp) == f".vectors.txt.{p.pid}-{HOST_TAG}.tmp"
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert os.path.exists(tmp)  # nobody could remove it ...
    atomic._cleaned.discard(str(tmp_path))
    write_text(tmp_path / "other.txt", "x")  # ... until the next write into that directory
    assert sorted(os.listdir(tmp_path)) == ["other.txt"]


def test_temp_files_of_live_writers_and_other_hosts_are_kept(tmp_path):
    live, live_tmp = start_writer(tmp_path / "a.txt")
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout.strip()
        names = {
            f".b.npy.{dead}-{HOST_TAG}.tmp.npy": False,  # dead writer, this host: removed
            f".c.txt.{dead}-0123abcd.tmp": True,  # another machine's writer (shared disk)
            f".d.txt.{os.getpid()}-{HOST_TAG}.tmp": True,  # this process: maybe writing now
            f".e.txt.{dead}.tmp": True,  # the older untagged name, written just now: kept
            f".f.txt.{dead}.tmp": False,  # ... and an hour old: removed
            f"g.txt.{dead}-{HOST_TAG}.tmp": True,  # not our naming scheme (no leading dot)
            f".h.txt.{live.pid}-{HOST_TAG}.tmp": False,  # live PID, started after the file:
        }                                                # PID reuse, the writer is gone
        for name in names:
            (tmp_path / name).write_text("x")
        hour_ago = time.time() - 3700
        for name in (f".f.txt.{dead}.tmp", f".h.txt.{live.pid}-{HOST_TAG}.tmp"):
            os.utime(tmp_path / name, (hour_ago, hour_ago))
        removed = clean_stale_temps(tmp_path)
        assert sorted(p.name for p in removed) == sorted(n for n, keep in names.items()
                                                         if not keep)
        assert os.path.exists(live_tmp)  # the live writer's own file
        live.send_signal(signal.SIGTERM)
        live.wait()
    finally:
        live.kill()
        live.wait()


def test_a_refused_write_is_one_line_and_leaves_nothing(tmp_path):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(EmbedError) as e:
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text("begun")
            full()
    assert str(e.value) == f"cannot write {tmp_path / 'out.txt'}: No space left on device"
    with pytest.raises(EmbedError, match=r"^cannot write .*out.txt: Read-only file system$"):
        with atomic_path(tmp_path / "out.txt") as tmp:
            raise OSError(errno.EROFS, "Read-only file system", str(tmp))
    assert os.listdir(tmp_path) == []
    # An error about another file (one the writer reads) is not a refused write: it stays as is.
    with pytest.raises(FileNotFoundError):
        with atomic_path(tmp_path / "out.txt"):
            open(tmp_path / "missing-input")
    assert temp_path(tmp_path / "x.npy", ".npy").name == f".x.npy.{os.getpid()}-{HOST_TAG}.tmp.npy"
