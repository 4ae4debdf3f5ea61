import pytest

from embed.errors import EmbedError
from embed.subwords import memory
from embed.subwords.memory import (available_memory_bytes, check_model_memory, human_bytes,
                                   model_memory_bytes)


def test_model_memory_by_hand():
    # fastText's defaults with a 50,000-word vocabulary: (50,000 + 2,000,000) x 100 x 4 bytes
    # of input, 50,000 x 100 x 4 of output, 50,001 x 8 offsets, 1,500,000 x 4 subword ids
    assert model_memory_bytes(50_000, 2_000_000, 100, subword_ids=1_500_000) == (
        820_000_000 + 20_000_000 + 400_008 + 6_000_000)
    assert model_memory_bytes(10, 0, 4, output_rows=3, extra_bytes=5) == (
        10 * 16 + 3 * 16 + 88 + 5)


def test_refuses_in_one_line_when_it_cannot_fit():
    with pytest.raises(EmbedError, match="needs 840.4 MB .* only 100.0 MB") as e:
        check_model_memory(50_000, 2_000_000, 100, available=100_000_000)
    assert "\n" not in str(e.value) and "--bucket" in str(e.value)


def test_line_to_print_when_it_fits():
    line = check_model_memory(50_000, 2_000_000, 100, available=4_000_000_000)
    assert line == ("model memory: 840.4 MB (input table (50,000 words + 2,000,000 buckets) x "
                    "100 float32), 4.0 GB available")


def _fake_files(monkeypatch, tmp_path, files):
    where = {}
    for i, (name, text) in enumerate(files.items()):
        where[name] = tmp_path / str(i)
        where[name].write_text(text)
    monkeypatch.setattr(memory, "Path", lambda p: where.get(str(p), tmp_path / "missing"))


def test_available_memory_is_read_from_meminfo(monkeypatch, tmp_path):
    _fake_files(monkeypatch, tmp_path, {
        "/proc/meminfo": "MemTotal:       24000000 kB\nMemAvailable:    1234 kB\n"})
    assert available_memory_bytes() == 1234 * 1024


def test_cgroup_limit_lowers_what_is_available(monkeypatch, tmp_path):
    _fake_files(monkeypatch, tmp_path, {"/proc/meminfo": "MemAvailable: 8000000 kB\n",
                                        "/sys/fs/cgroup/memory.max": "1000000\n",
                                        "/sys/fs/cgroup/memory.current": "400000\n"})
    assert available_memory_bytes() == 600_000


def test_this_machine_reports_some_memory():
    avail = available_memory_bytes()
    assert avail is not None and 0 < avail


def test_human_bytes():
    assert human_bytes(999) == "999 B"
    assert human_bytes(800_000_000) == "800.0 MB"
    assert human_bytes(2_500_000_000) == "2.5 GB"
