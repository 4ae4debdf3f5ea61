"""The encoded-corpus cache: keyed by content, checked quickly, never trusting bad ids."""
import hashlib
import os

import numpy as np
import pytest

from embed.data import cache, encode
from embed.data.encode import encode_corpus
from embed.data.vocab import UNK


@pytest.fixture
def counted(monkeypatch):
    """Counts real encodings (cache misses) and content hashes (slow-path checks)."""
    calls = {"encode": 0, "hash": 0}
    real_encode, real_hash = encode.count_and_encode, cache.hash_file

    def counting_encode(*a, **k):
        calls["encode"] += 1
        return real_encode(*a, **k)

    def counting_hash(p):
        calls["hash"] += 1
        return real_hash(p)

    monkeypatch.setattr(encode, "count_and_encode", counting_encode)
    monkeypatch.setattr(cache, "hash_file", counting_hash)
    return calls


@pytest.mark.parametrize("racy_seconds", [cache.RACY_SECONDS, 0])
def test_issue13_item8_same_size_edit_with_mtime_restored_is_noticed(tmp_path, counted,
                                                                     monkeypatch, racy_seconds):
    # racy_seconds 0: no content check for fresh files, so the ctime alone must give it away
    monkeypatch.setattr(cache, "RACY_SECONDS", racy_seconds)
    f = tmp_path / "c.txt"
    f.write_text("alpha beta gamma alpha")
    before = os.stat(f)
    c1 = encode_corpus(f, progress=False)
    assert c1.vocab.words == [UNK, "alpha", "beta", "gamma"]
    f.write_text("delta beta gamma delta")  # same size, then `touch -r` back to the old times
    os.utime(f, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(f)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    c2 = encode_corpus(f, progress=False)
    assert counted["encode"] == 2
    assert c2.vocab.words == [UNK, "delta", "beta", "gamma"] and c2.ids.tolist() == [1, 2, 3, 1]
    assert c2.fingerprint != c1.fingerprint
    assert c2.fingerprint == hashlib.sha256(f.read_bytes()).hexdigest()


def test_unchanged_file_loads_by_stat_alone_and_a_touch_costs_one_hash(tmp_path, counted,
                                                                         monkeypatch):
    monkeypatch.setattr(cache, "RACY_SECONDS", 0)
    f = tmp_path / "c.txt"
    f.write_text("one two two three three three\nfour\n")
    c1 = encode_corpus(f, progress=False)
    c2 = encode_corpus(f, progress=False)
    assert counted == {"encode": 1, "hash": 0}  # same stat: trusted without reading the text
    assert isinstance(c2.ids, np.memmap) or isinstance(c2.ids.base, np.memmap)
    np.testing.assert_array_equal(c2.ids, c1.ids)
    np.testing.assert_array_equal(c2.ends, c1.ends)
    os.utime(f, ns=(1, 10**18))  # touched, content unchanged: hashed once, cache kept
    encode_corpus(f, progress=False)
    assert counted == {"encode": 1, "hash": 1}
    encode_corpus(f, progress=False)  # the manifest now holds the new stat
    assert counted == {"encode": 1, "hash": 1}


def test_a_fresh_manifest_is_checked_by_content_while_timestamps_may_be_racy(tmp_path,
                                                                              counted):
    f = tmp_path / "c.txt"
    f.write_text("one two")
    encode_corpus(f, progress=False)
    encode_corpus(f, progress=False)
    assert counted == {"encode": 1, "hash": 1}  # written within RACY_SECONDS of the edit


def test_issue13_item5_cache_with_ids_outside_the_vocabulary_is_rebuilt(tmp_path, counted):
    f = tmp_path / "c.txt"
    f.write_text("a b c a b a")
    good = np.array(encode_corpus(f, progress=False).ids)
    files = cache.cache_files(f, cache.settings_key("words", 50_000, 1, None))
    for bad_id in (4, -1):
        bad = good.copy()
        bad[2] = bad_id
        np.save(tmp_path / "x.npy", bad)
        os.replace(tmp_path / "x.npy", files.ids)
        c = encode_corpus(f, progress=False)
        np.testing.assert_array_equal(c.ids, good)
    assert counted["encode"] == 3


def test_damaged_ends_or_manifest_are_rebuilt(tmp_path, counted):
    f = tmp_path / "c.txt"
    f.write_text("a b\nc\n")
    files = cache.cache_files(f, cache.settings_key("words", 50_000, 1, None))
    assert encode_corpus(f, progress=False).ends.tolist() == [2, 3]
    np.save(tmp_path / "x.npy", np.array([2, 2], dtype=np.int64))
    os.replace(tmp_path / "x.npy", files.ends)
    assert encode_corpus(f, progress=False).ends.tolist() == [2, 3]
    files.manifest.write_text("{not json")
    assert encode_corpus(f, progress=False).ends.tolist() == [2, 3]
    assert counted["encode"] == 3


def test_edits_replace_the_cache_and_drop_caches_of_the_old_content(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("x y z")
    encode_corpus(f, progress=False)
    encode_corpus(f, vocab_size=3, progress=False)
    encode_corpus(f, tokens="split", progress=False)
    assert len(list(tmp_path.glob("c.txt.*.json"))) == 3
    old_v1 = tmp_path / "c.txt.0123456789ab-ba9876543210.ids.npy"  # an older embed's cache
    old_v1.write_bytes(b"old")
    f.write_text("x y w v")
    c = encode_corpus(f, progress=False)
    assert c.vocab.words == [UNK, "v", "w", "x", "y"]
    assert len(list(tmp_path.glob("c.txt.*.json"))) == 1 and not old_v1.exists()


def test_directory_fingerprint_covers_names_and_contents(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("one")
    (d / "b.txt").write_text("two")
    first = encode_corpus(d, progress=False).fingerprint
    (d / "b.txt").rename(d / "c.txt")
    assert encode_corpus(d, progress=False).fingerprint != first
    (d / "c.txt").rename(d / "b.txt")
    assert encode_corpus(d, progress=False).fingerprint == first
    (d / "new.txt").write_text("three")
    c = encode_corpus(d, progress=False)
    assert c.fingerprint != first and c.vocab.total == 3


def test_directory_with_a_link_to_a_file_elsewhere(tmp_path):
    (tmp_path / "elsewhere.txt").write_text("far away")
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("near")
    (d / "b.txt").symlink_to(tmp_path / "elsewhere.txt")
    c = encode_corpus(d, progress=False)
    assert c.vocab.total == 3 and len(c.fingerprint) == 64
    assert encode_corpus(d, progress=False).fingerprint == c.fingerprint
