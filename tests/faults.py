"""Faults injected into a module's writes: a full disk, a Ctrl-C in the middle of a write."""
import errno
from pathlib import Path


def disk_full():
    return OSError(errno.ENOSPC, "No space left on device")


class FailingFile:
    """An open file whose writes go through until ``room`` bytes were written; then the part
    that fits is written and ``error()`` is raised, as a full disk or a Ctrl-C would."""

    def __init__(self, f, room: int, error):
        self.f, self.room, self.error = f, room, error

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def write(self, data):
        if len(data) > self.room:
            self.f.write(data[:self.room])
            self.room = 0
            raise self.error()
        self.room -= len(data)
        return self.f.write(data)

    def __getattr__(self, name):  # flush, fileno, ...
        return getattr(self.f, name)


def fail_writes(monkeypatch, module, room: int, error=disk_full, which=lambda name: True):
    """Make ``module``'s ``open`` for writing give a FailingFile for the files whose name
    ``which(name)`` selects (called once per opening)."""
    real_open = open

    def fake_open(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        if ("a" in mode or "w" in mode) and which(Path(path).name):
            return FailingFile(f, room, error)
        return f

    monkeypatch.setattr(module, "open", fake_open, raising=False)


def in_tmpfs(directory, size: str, argv: list, timeout: float = 120):
    """Run ``argv`` with a tmpfs of ``size`` (e.g. "64k") mounted on ``directory``, in a user and
    mount namespace of its own (no root needed; nothing outside sees the mount). Skips the
    calling test where this system allows no such namespace."""
    import subprocess

    import pytest

    namespace = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c"]
    mount = f'mount -t tmpfs -o size={size} tmpfs "$0"'
    try:
        probe = subprocess.run([*namespace, mount, str(directory)], capture_output=True,
                               text=True)
    except FileNotFoundError:
        pytest.skip("no unshare(1) here")
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.strip()[:200]}")
    return subprocess.run([*namespace, f'{mount} && exec "$@"', str(directory),
                           *map(str, argv)], capture_output=True, text=True, timeout=timeout)
