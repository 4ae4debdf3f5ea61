"""A checkpoint is all-or-nothing: a save killed at any point leaves the previous checkpoint or
the new one, never a mix (issue 13, item 6)."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from embed import modeldir
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError


def _files(value: float, history_rows: int = 2) -> modeldir.ModelFiles:
    v = Vocabulary.from_tokens("a b b c c c".split())
    table = np.full((4, 3), value, np.float32)
    return modeldir.ModelFiles(vectors=table, vocab=v, settings={"generation": value},
                               output=table * 2, history=np.ones((history_rows, 2)))


def _generation(path) -> float:
    back = modeldir.load(path, verify=True)
    values = {float(back.vectors[0, 0]), float(back.output[0, 0]) / 2,
              float(back.settings["generation"])}
    assert len(values) == 1, f"mixed checkpoint: {values}"
    return values.pop()


def test_checkpoint_killed_mid_save_is_the_old_or_the_new_one_never_a_mix(tmp_path):
    """A real kill -9 of a process at each step of a save (before the manifest commit, between
    the renames after it): the next reader sees exactly one generation."""
    modeldir.save(tmp_path / "m", _files(1.0))
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path[:0] = [{str(os.getcwd())!r}, {os.path.dirname(__file__)!r}]
        from embed import modeldir
        from test_checkpoint import _files
        steps = [0]
        real_replace = os.replace
        def replace(a, b):
            steps[0] += 1
            if steps[0] == int(sys.argv[1]):
                os.kill(os.getpid(), signal.SIGKILL)
            real_replace(a, b)
        os.replace = replace
        modeldir.save({str(tmp_path / 'm')!r}, _files(2.0))
    """)
    seen = set()
    # os.replace runs: once per pending file written via atomic temp names (vocab), once for
    # the manifest, then once per file moved into place
    for kill_at in range(1, 10):
        modeldir.save(tmp_path / "m", _files(1.0))
        done = subprocess.run([sys.executable, "-c", script, str(kill_at)], cwd=os.getcwd())
        generation = _generation(tmp_path / "m")
        seen.add(generation)
        if done.returncode == 0:
            assert generation == 2.0
            break
        assert done.returncode == -9
    assert seen == {1.0, 2.0}
    assert not list((tmp_path / "m").glob(".*.ckpt"))


def test_a_file_that_does_not_match_the_manifest_is_refused(tmp_path):
    modeldir.save(tmp_path / "m", _files(1.0))
    old_vectors = (tmp_path / "m" / "vectors.npy").read_bytes()
    modeldir.save(tmp_path / "m", _files(2.0))
    (tmp_path / "m" / "vectors.npy").write_bytes(old_vectors)   # same size, other content
    with pytest.raises(EmbedError, match="vectors.npy does not match its checkpoint"):
        modeldir.load(tmp_path / "m", verify=True)
    # a query-time load does not checksum, but an unfinished save is still completed first
    assert modeldir.load(tmp_path / "m").vectors[0, 0] == 1.0


def test_an_uncommitted_pending_file_is_discarded_and_a_committed_one_rolled_forward(tmp_path):
    m = tmp_path / "m"
    modeldir.save(m, _files(1.0))
    stray = m / ".vectors.npy.ckpt"
    np.save(open(stray, "wb"), np.full((4, 3), 9.0, np.float32))   # a save that never committed
    assert _generation(m) == 1.0 and not stray.exists()
    # committed: the manifest names the new vectors, which still wait under the pending name
    modeldir.save(m, _files(3.0))
    manifest = json.loads((m / "checkpoint.json").read_text())
    os.replace(m / "vectors.npy", stray)
    np.save(open(m / "vectors.npy", "wb"), np.full((4, 3), 1.0, np.float32))
    assert manifest == json.loads((m / "checkpoint.json").read_text())
    assert _generation(m) == 3.0 and not stray.exists()


def test_a_damaged_manifest_is_one_line(tmp_path):
    modeldir.save(tmp_path / "m", _files(1.0))
    (tmp_path / "m" / "checkpoint.json").write_text("{not json")
    with pytest.raises(EmbedError, match="damaged checkpoint manifest"):
        modeldir.load(tmp_path / "m")


def test_files_dropped_from_a_checkpoint_are_removed(tmp_path):
    files = _files(1.0)
    files.extra = {"optimizer.npz": lambda p: open(p, "wb").write(b"slots")}
    modeldir.save(tmp_path / "m", files)
    assert (tmp_path / "m" / "optimizer.npz").is_file()
    modeldir.save(tmp_path / "m", _files(2.0))
    assert not (tmp_path / "m" / "optimizer.npz").exists()


def test_two_writers_never_share_a_model_directory(tmp_path, capsys):
    """Issue 13 item 7: while one process trains into a directory (it holds the lock and may
    be mid-save), a second `embed train` / save is refused naming the holder, and a reader
    leaves the writer's pending files alone."""
    import time

    from embed.cli import main

    m = tmp_path / "m"
    modeldir.save(m, _files(1.0))
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {os.getcwd()!r})
        from embed.lock import hold_dir_lock
        with hold_dir_lock({str(m)!r}, what="embed train"):
            open({str(m / '.vectors.npy.ckpt')!r}, "wb").write(b"half written")
            print("ready", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert _generation(m) == 1.0                       # a reader reads the last checkpoint
        assert (m / ".vectors.npy.ckpt").read_bytes() == b"half written"   # and keeps away
        with pytest.raises(EmbedError, match=rf"in use by embed train \(pid {holder.pid}"):
            modeldir.save(m, _files(2.0))
        corpus = tmp_path / "t.txt"
        corpus.write_text(("a b c d e f g " * 400) + "\n")
        for argv in (["train", str(corpus), "-o", str(m), "--dim", "8", "--epochs", "1", "-q"],
                     ["train", "--resume", str(m), "-q"]):
            capsys.readouterr()
            with pytest.raises(SystemExit) as exit_:
                main(argv)
            err = capsys.readouterr().err.strip().splitlines()
            assert exit_.value.code == 1 and len(err) == 1
            assert err[0].startswith(f"error: {m} is in use by embed train (pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert _generation(m) == 1.0 and not (m / ".vectors.npy.ckpt").exists()   # tidied now
