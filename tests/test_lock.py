"""One writer per directory (embed.lock), checked with real processes."""
import os
import signal
import subprocess
import sys
import time

import pytest

from embed.errors import EmbedError
from embed.lock import hold_dir_lock, lock_holder

HOLD = """
import sys, time
from embed.lock import hold_dir_lock
with hold_dir_lock(sys.argv[1], what="test holder"):
    print("locked", flush=True)
    time.sleep(120)
"""


def start_holder(directory):
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(directory)], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_writer_is_refused_with_the_holder_named_and_kill_9_frees_the_lock(tmp_path):
    d = tmp_path / "model"
    holder = start_holder(d)
    try:
        start = time.time()
        with pytest.raises(EmbedError) as e:
            with hold_dir_lock(d, what="embed train"):
                pass
        msg = str(e.value)
        assert time.time() - start < 1.0  # refused at once, never waits
        assert "\n" not in msg and msg.startswith(f"{d} is in use by test holder (pid {holder.pid}")
        assert "since 20" in msg and "running: -c" in msg
        assert lock_holder(d)["pid"] == holder.pid
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The kernel released the dead holder's lock: no stale lock, no waiting, no cleanup step.
    assert lock_holder(d) is None
    with hold_dir_lock(d, what="embed train") as lock_file:
        assert lock_holder(d)["what"] == "embed train" and lock_holder(d)["pid"] == os.getpid()
        assert lock_file == d / ".lock"
    assert lock_holder(d) is None and (d / ".lock").read_text() == ""


def test_lock_is_exclusive_within_one_process_and_released_by_the_block(tmp_path):
    with hold_dir_lock(tmp_path, what="first"):
        with pytest.raises(EmbedError, match=r"in use by first \(pid"):
            with hold_dir_lock(tmp_path):
                pass
    with hold_dir_lock(tmp_path):  # released at the end of the block, also after an error
        pass
    with pytest.raises(ZeroDivisionError):
        with hold_dir_lock(tmp_path):
            1 / 0
    with hold_dir_lock(tmp_path):
        pass


def test_lock_on_a_path_that_cannot_be_a_directory_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(EmbedError, match="cannot create directory .*file/d: Not a directory"):
        with hold_dir_lock(tmp_path / "file" / "d"):
            pass
