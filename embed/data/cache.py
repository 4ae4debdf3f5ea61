"""The encoded-corpus cache: one encoding per corpus path and settings, trusted by content.

Files, beside the corpus (or under ``<data dir>/cache`` when that directory is not writable),
all named ``<corpus name>.<path key>-<settings key>`` plus:

- ``.ids.npy``   int32 [n] word ids (0 = UNK), memory-mapped when loaded;
- ``.ends.npy``  int64 [k] sentence end offsets into the ids (line ends, long lines cut);
- ``.vocab.tsv`` the vocabulary (counts of this corpus);
- ``.json``      the manifest, written last: each file's path, stat and SHA-256, the corpus
  fingerprint, the token rule, the counts of ids / ends / cut tokens.

The path key hashes the corpus's absolute path, the settings key the vocabulary settings and
the token rule, so an edited corpus keeps its cache names and a rebuild replaces the old files.
A cache is used when each file's size, mtime, ctime, inode and device are what the manifest
recorded; when any of them differ the file's bytes are hashed again and compared (``touch -r``
or ``cp -p`` after an edit restore the mtime but not the ctime). A manifest written within
RACY_SECONDS of a file's last change is checked by content on its next use too, since a second
edit within the file system's timestamp granularity could leave every stat field unchanged.
Ids outside the vocabulary or sentence ends out of order make a cache count as absent.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embed.atomic import save_npy, write_text
from embed.data.corpus import FileDigest, corpus_files, hash_file
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError
from embed.paths import data_dir as default_data_dir

# Bump when the cache layout or a tokenizer changes so old caches are not trusted.
CACHE_VERSION = 2
RACY_SECONDS = 2.0
SUFFIXES = (".ids.npy", ".ends.npy", ".vocab.tsv", ".json")


@dataclass(frozen=True)
class CacheFiles:
    ids: Path
    ends: Path
    vocab: Path
    manifest: Path

    def all(self) -> list[Path]:
        return [self.ids, self.ends, self.vocab, self.manifest]


def _cache_dir(path: Path, data_dir) -> Path:
    beside = path.resolve().parent
    if os.access(beside, os.W_OK):
        return beside
    return default_data_dir(data_dir) / "cache"


def _path_key(path: Path) -> str:
    return hashlib.sha1(f"v{CACHE_VERSION}\0{path.resolve()}".encode()).hexdigest()[:12]


def settings_key(tokens: str, vocab_size: int, min_count: int,
                 vocab: Vocabulary | None) -> str:
    h = hashlib.sha1(f"v{CACHE_VERSION} tokens={tokens} size={vocab_size} "
                     f"min_count={min_count}".encode())
    if vocab is not None:
        h.update(f"vocab {vocab.tokens}\0".encode())
        h.update("\n".join(vocab.words).encode("utf-8"))
    return h.hexdigest()[:12]


def cache_files(path: Path, key: str, data_dir=None) -> CacheFiles:
    stem = f"{path.resolve().name}.{_path_key(path)}-{key}"
    where = _cache_dir(path, data_dir)
    return CacheFiles(*(where / (stem + s) for s in SUFFIXES))


def _valid(ids: np.ndarray, n_words: int, ends: np.ndarray) -> bool:
    """Every id in [0, n_words); ends strictly increasing from above 0 to len(ids).

    numpy rather than numba: a warm load should not pay numba's first-call start-up (about a
    third of a second) for two passes over the ids.
    """
    if len(ids) == 0 or len(ends) == 0:
        return False
    if int(ids.min()) < 0 or int(ids.max()) >= n_words:
        return False
    return bool(ends[0] > 0 and (len(ends) == 1 or (np.diff(ends) > 0).all())
                and ends[-1] == len(ids))


def _read_manifest(path: Path) -> dict | None:
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        m["files"] = [FileDigest(**f) for f in m["files"]]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return m if m.get("version") == CACHE_VERSION else None


def _racy(stats) -> bool:
    now = time.time_ns()
    return any(now - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_SECONDS * 1e9 for st in stats)


def _write_manifest(files: CacheFiles, m: dict) -> None:
    m = dict(m, files=[asdict(d) for d in m["files"]])
    write_text(files.manifest, json.dumps(m, indent=1))


def load(files: CacheFiles, corpus: Path, tokens: str):
    """(vocabulary, ids, ends, manifest) from a cache that still matches the corpus; None when
    it is missing, stale or damaged."""
    if not all(p.is_file() for p in files.all()):
        return None
    m = _read_manifest(files.manifest)
    if m is None or m.get("tokens") != tokens:
        return None
    try:
        paths = corpus_files(corpus)
        stats = [p.stat() for p in paths]
    except (EmbedError, OSError):
        return None
    if [str(p.resolve()) for p in paths] != [d.path for d in m["files"]]:
        return None
    rechecked = False
    for p, st, d in zip(paths, stats, m["files"]):
        if d.same_stat(st) and not m.get("verify"):
            continue
        if d.size != st.st_size or hash_file(p) != d.sha256:
            return None
        rechecked = True
    try:
        vocab = Vocabulary.load(files.vocab)
        ids = np.load(files.ids, mmap_mode="r", allow_pickle=False)
        ends = np.load(files.ends, mmap_mode="r", allow_pickle=False)
    except (EmbedError, OSError, ValueError, EOFError):
        return None
    if (ids.dtype != np.int32 or ids.ndim != 1 or ends.dtype != np.int64 or ends.ndim != 1
            or len(ids) != m.get("ids") or len(ends) != m.get("ends") or vocab.total != len(ids)
            or vocab.tokens != tokens or not _valid(ids, len(vocab), ends)):
        return None
    if rechecked:  # the same bytes under a new stat: remember it, so the next load is quick
        m = dict(m, files=[FileDigest(d.path, *FileDigest.stat_of(st), d.sha256)
                           for d, st in zip(m["files"], stats)], verify=_racy(stats))
        try:
            _write_manifest(files, m)
        except (EmbedError, OSError):
            pass
    return vocab, ids, ends, m


def save(files: CacheFiles, vocab: Vocabulary, ids: np.ndarray, ends: np.ndarray,
         digests: list[FileDigest], fingerprint: str, cut_tokens: int) -> None:
    """Write the cache; the manifest goes last, so a cache without one is never used."""
    try:
        files.manifest.unlink()
    except FileNotFoundError:
        pass
    vocab.save(files.vocab)
    save_npy(files.ids, ids)
    save_npy(files.ends, ends)
    stats = []
    for d in digests:
        try:
            stats.append(os.stat(d.path))
        except OSError:
            return
    _write_manifest(files, {
        "version": CACHE_VERSION, "tokens": vocab.tokens, "fingerprint": fingerprint,
        "cut_tokens": cut_tokens, "ids": len(ids), "ends": len(ends), "files": digests,
        "verify": _racy(stats) or any(d.size < 0 for d in digests)})


_KEYED = re.compile(r"([0-9a-f]{12})-([0-9a-f]{12})(?:\.ids\.npy|\.ends\.npy|\.vocab\.tsv|\.json)")


def drop_stale(files: CacheFiles, corpus: Path, fingerprint: str) -> None:
    """Remove this corpus's caches made from older content (any settings) and, beside the
    corpus, those of older embed versions. In a shared cache folder, caches of same-named
    corpora elsewhere (another path key) are left alone."""
    corpus = corpus.resolve()
    where = files.manifest.parent
    name = corpus.name
    mine = files.manifest.name[len(name) + 1: -len(".json")].split("-")
    groups: dict[tuple[str, str], list[Path]] = {}
    for old in where.glob(glob.escape(name) + ".*"):
        if (k := _KEYED.fullmatch(old.name[len(name) + 1:])) is not None:
            groups.setdefault((k.group(1), k.group(2)), []).append(old)
    for (path_key, key), olds in groups.items():
        if path_key == mine[0]:
            if key == mine[1]:
                continue
            m = _read_manifest(where / f"{name}.{path_key}-{key}.json")
            if m is not None and m.get("fingerprint") == fingerprint:
                continue
        elif where != corpus.parent:
            continue
        for old in olds:
            try:
                old.unlink()
            except OSError:
                pass
