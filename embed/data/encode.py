"""Count a corpus, build its Vocabulary and encode it to an int32 id stream, cached on disk.

One pass over the text: a numba hash table over the raw bytes gives every word a provisional id
in first-seen order and counts it (no Python string per word), the Vocabulary is ranked from
those counts, and a lookup table maps provisional ids to final ids (0 = UNK) in place. Peak
memory is one int32 copy of the stream (text8: 17 M words, 68 MB) plus the unique words, on top
of the interpreter with numpy and numba (~100 MB).

The result is cached as ``<corpus>.<identity>-<settings>.ids.npy`` plus ``.vocab.tsv`` beside
the corpus (or under ``<data dir>/cache`` when that directory is not writable), keyed by the
corpus files' path, size and mtime and by the vocabulary settings; a later call memory-maps it.
"""
from __future__ import annotations

import glob
import hashlib
import os
import re
from pathlib import Path

import numpy as np
from numba import njit

from embed.atomic import save_npy
from embed.data.corpus import STDIN, corpus_files, input_bytes, word_blocks
from embed.data.vocab import UNK, Vocabulary, rank_words
from embed.errors import EmbedError
from embed.paths import data_dir as default_data_dir

# Bump when the cache layout or the tokenizer changes so old caches are not trusted.
CACHE_VERSION = 1


_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)
_SPACE = 32


@njit(cache=True, nogil=True)
def _intern(buf, pos, out, n_out, table, hashes, offsets, lengths, counts, arena, state, insert):
    """Give every word of ``buf`` (a-z bytes separated by spaces) its id, from ``pos`` on.

    Open-addressing hash table (FNV-1a, linear probing): ``table[slot]`` is a word id or -1;
    word ``w``'s bytes are ``arena[offsets[w]:offsets[w] + lengths[w]]``. New words get the next
    id when ``insert`` (counting every occurrence in ``counts``); otherwise a miss gives -1.
    ``state`` = [words so far, arena bytes used]. Returns (pos, n_out, full): ``full`` means a
    new word did not fit; grow the arrays and call again from ``pos``.
    """
    n = buf.shape[0]
    mask = np.uint64(table.shape[0] - 1)
    i = pos
    while i < n:
        while i < n and buf[i] == _SPACE:
            i += 1
        if i >= n:
            break
        start = i
        h = _FNV_OFFSET
        while i < n and buf[i] != _SPACE:
            h = (h ^ np.uint64(buf[i])) * _FNV_PRIME
            i += 1
        length = i - start
        slot = h & mask
        found = -1
        while True:
            w = table[slot]
            if w < 0:
                break
            if hashes[w] == h and lengths[w] == length:
                o = offsets[w]
                same = True
                for k in range(length):
                    if arena[o + k] != buf[start + k]:
                        same = False
                        break
                if same:
                    found = w
                    break
            slot = (slot + np.uint64(1)) & mask
        if found < 0 and insert:
            nw = state[0]
            used = state[1]
            if (nw + 1 > hashes.shape[0] or 2 * (nw + 1) > table.shape[0]
                    or used + length > arena.shape[0]):
                return start, n_out, True
            for k in range(length):
                arena[used + k] = buf[start + k]
            hashes[nw] = h
            offsets[nw] = used
            lengths[nw] = length
            table[slot] = nw
            state[0] = nw + 1
            state[1] = used + length
            found = nw
        if found >= 0 and insert:
            counts[found] += 1
        out[n_out] = found
        n_out += 1
    return n, n_out, False


@njit(cache=True, nogil=True)
def _rehash(table, hashes, n_words):
    mask = np.uint64(table.shape[0] - 1)
    for w in range(n_words):
        slot = hashes[w] & mask
        while table[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = w


class WordTable:
    """Words seen so far, each with a dense id in first-seen order and its count.

    A numba hash table over raw bytes: interning a word costs no Python string, so the whole
    corpus is counted and encoded at C speed; only the unique words become ``str`` at the end.
    """

    def __init__(self, capacity: int = 1 << 16):
        self.table = np.full(2 * capacity, -1, dtype=np.int32)
        self.hashes = np.zeros(capacity, dtype=np.uint64)
        self.offsets = np.zeros(capacity, dtype=np.int64)
        self.lengths = np.zeros(capacity, dtype=np.int32)
        self.counts = np.zeros(capacity, dtype=np.int64)
        self.arena = np.zeros(8 * capacity, dtype=np.uint8)
        self.state = np.zeros(2, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.state[0])

    def _grow(self) -> None:
        n, used = len(self), int(self.state[1])
        if 2 * (n + 1) > self.table.shape[0] or n + 1 > self.hashes.shape[0]:
            cap = 2 * self.hashes.shape[0]
            for name in ("hashes", "offsets", "lengths", "counts"):
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[:n] = old[:n]
                setattr(self, name, new)
            self.table = np.full(2 * cap, -1, dtype=np.int32)
            _rehash(self.table, self.hashes, n)
        if used + (1 << 20) > self.arena.shape[0]:
            arena = np.zeros(2 * self.arena.shape[0] + (1 << 20), dtype=np.uint8)
            arena[:used] = self.arena[:used]
            self.arena = arena

    def encode_into(self, block: bytes, out: np.ndarray, n: int, insert: bool = True) -> int:
        """Write the ids of ``block``'s words to ``out[n:]``; return the new fill level.

        ``block``: a-z words separated by spaces. ``out`` needs ``len(block) // 2 + 1`` free
        slots. Unknown words get new ids when ``insert``, else -1.
        """
        buf = np.frombuffer(block, dtype=np.uint8)
        pos = 0
        while True:
            pos, n, full = _intern(buf, pos, out, n, self.table, self.hashes, self.offsets,
                                   self.lengths, self.counts, self.arena, self.state, insert)
            if not full:
                return n
            self._grow()

    def ids(self, block: bytes, insert: bool = True) -> np.ndarray:
        """int32 id of every word in ``block`` (see :meth:`encode_into`)."""
        out = np.empty(len(block) // 2 + 1, dtype=np.int32)
        return out[: self.encode_into(block, out, 0, insert)].copy()

    def words(self, ids=None) -> list[str]:
        """The words with these ids (default: all, in id order)."""
        if ids is None:
            ids = np.arange(len(self))
        ids = np.asarray(ids, dtype=np.int64)
        arena = self.arena[: int(self.state[1])].tobytes()
        offs = self.offsets[ids].tolist()
        lens = self.lengths[ids].tolist()
        return [arena[o:o + k].decode("latin-1") for o, k in zip(offs, lens)]


def resolve_corpus(source: str | os.PathLike | None, data_dir: str | os.PathLike | None = None,
                   *, progress: bool = True) -> Path | str:
    """Turn a corpus argument into a path (or ``"-"`` for stdin).

    ``None`` or ``"text8"`` (when no such local path exists) means the text8 file in the data
    directory, downloaded on first use. Anything else must be an existing file or directory.
    """
    if source is None or (str(source) == "text8" and not Path("text8").exists()):
        from embed.data.download import ensure_text8

        return ensure_text8(data_dir, progress=progress)
    if isinstance(source, str) and source == STDIN:
        return STDIN
    path = Path(source)
    corpus_files(path)  # raises EmbedError when missing, empty directory, ...
    return path


def _identity(path: Path) -> str:
    """Hash of the corpus files' absolute paths, sizes and modification times."""
    h = hashlib.sha1(f"v{CACHE_VERSION}".encode())
    for f in corpus_files(path):
        st = f.stat()
        h.update(f"{f.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:12]


def _settings_key(vocab_size: int, min_count: int, vocab: Vocabulary | None) -> str:
    h = hashlib.sha1(f"size={vocab_size} min_count={min_count}".encode())
    if vocab is not None:
        h.update(b"vocab\0")
        h.update("\n".join(vocab.words).encode("utf-8"))
    return h.hexdigest()[:12]


def _cache_dir(path: Path, data_dir) -> tuple[Path, bool]:
    """(directory for the cache files, whether it is beside the corpus)."""
    beside = path.resolve().parent
    if os.access(beside, os.W_OK):
        return beside, True
    return default_data_dir(data_dir) / "cache", False


def cache_paths(path: Path, vocab_size: int, min_count: int, vocab: Vocabulary | None = None,
                data_dir=None) -> tuple[Path, Path]:
    """(ids .npy, vocab .tsv) cache files for this corpus and these settings."""
    stem = f"{path.resolve().name}.{_identity(path)}-{_settings_key(vocab_size, min_count, vocab)}"
    where, _ = _cache_dir(path, data_dir)
    return where / f"{stem}.ids.npy", where / f"{stem}.vocab.tsv"


_CACHE_NAME = re.compile(r"([0-9a-f]{12})-[0-9a-f]{12}\.(?:ids\.npy|vocab\.tsv)")


def _drop_stale(path: Path, data_dir) -> None:
    """Remove caches made from older versions of this corpus (same name, other identity)."""
    where, beside = _cache_dir(path, data_dir)
    if not beside:  # a shared cache dir may hold same-named corpora from other directories
        return
    name = path.resolve().name
    identity = _identity(path)
    for old in where.glob(glob.escape(name) + ".*"):
        m = _CACHE_NAME.fullmatch(old.name[len(name) + 1:])
        if m and m.group(1) != identity:
            try:
                old.unlink()
            except OSError:
                pass


def _load_cache(ids_path: Path, vocab_path: Path) -> tuple[Vocabulary, np.ndarray] | None:
    if not (ids_path.is_file() and vocab_path.is_file()):
        return None
    try:
        vocab = Vocabulary.load(vocab_path)
        ids = np.load(ids_path, mmap_mode="r")
    except (EmbedError, OSError, ValueError):
        return None
    if ids.dtype != np.int32 or ids.ndim != 1 or len(ids) != vocab.total:
        return None
    return vocab, ids


def count_and_encode(source, *, vocab_size: int = 50_000, min_count: int = 1,
                     vocab: Vocabulary | None = None,
                     progress: bool = True) -> tuple[Vocabulary, np.ndarray]:
    """Read ``source`` once; return its Vocabulary and int32 id stream (no caching).

    With ``vocab`` given, words are encoded with it (unknown words -> 0) and it is returned as is.
    """
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=input_bytes(source), unit="B", unit_scale=True, unit_divisor=1024,
                   desc="reading corpus", leave=False, dynamic_ncols=True)
    table = WordTable()
    lut = None
    if vocab is not None:
        # Only words spelled a-z can occur in normalised text; the others can never match.
        spellable = [w for w in vocab.words if w.isascii() and w.isalpha() and w.islower()]
        if spellable:
            known = table.ids(" ".join(spellable).encode("ascii"))
            lut = np.zeros(len(table) + 1, dtype=np.int32)  # last slot: misses (-1) -> UNK
            lut[known] = [vocab.index[w] for w in spellable]
        else:
            lut = np.zeros(1, dtype=np.int32)
    # One growing id buffer rather than a list of per-block arrays: per-block buffers fragment
    # the heap and roughly double the peak memory. Untouched pages of np.empty cost no RAM, so
    # a generous first guess (a word takes at least 2 bytes) is free.
    size_hint = input_bytes(source) or 0
    ids = np.empty(size_hint // 2 + (1 << 20), dtype=np.int32)
    n = 0
    try:
        for block in word_blocks(source, progress=bar.update if bar is not None else None):
            if n + len(block) // 2 + 1 > len(ids):  # compressed or stdin input outgrew the guess
                grown = np.empty(max(2 * len(ids), n + len(block)), dtype=np.int32)
                grown[:n] = ids[:n]
                ids = grown
            n = table.encode_into(block, ids, n, insert=vocab is None)
    finally:
        if bar is not None:
            bar.close()
    ids = ids[:n]
    if vocab is not None:
        _remap(ids, lut)  # -1 (a miss) indexes the last slot, which is UNK
        return vocab, ids

    words = len(table)
    vocab, order = rank_words(table.words, table.counts[:words], vocab_size, min_count)
    final = np.zeros(words + 1, dtype=np.int32)  # provisional id -> vocabulary id, 0 = UNK
    final[order] = np.arange(1, len(order) + 1, dtype=np.int32)
    _remap(ids, final)
    return vocab, ids


@njit(cache=True, nogil=True)
def _remap(ids, lut):
    """``ids[i] = lut[ids[i]]`` in place (numpy's take would buffer an int64 copy)."""
    for i in range(ids.shape[0]):
        ids[i] = lut[ids[i]]


def load_corpus(source=None, *, vocab_size: int = 50_000, min_count: int = 1, data_dir=None,
                vocab: Vocabulary | None = None,
                progress: bool = True) -> tuple[Vocabulary, np.ndarray]:
    """Return (Vocabulary, int32 id array of every corpus word; 0 = UNK).

    ``source``: None or ``"text8"`` (downloaded on first use into the data directory), a path
    to a file or directory, or ``"-"`` for stdin. ``vocab_size`` counts UNK (50,000 = UNK +
    49,999 words). With ``vocab`` given the text is encoded with that vocabulary instead (for
    training on new text with an existing model). Path sources are cached: a second call with
    the same file and settings memory-maps the ids (read-only) instead of reading the text.
    """
    if vocab_size < 2:
        raise EmbedError(f"vocabulary size must be at least 2 (UNK and one word), got {vocab_size}")
    if min_count < 1:
        raise EmbedError(f"min_count must be at least 1, got {min_count}")
    path = resolve_corpus(source, data_dir, progress=progress)
    if path == STDIN:
        return count_and_encode(STDIN, vocab_size=vocab_size, min_count=min_count, vocab=vocab,
                                progress=progress)

    ids_path, vocab_path = cache_paths(path, vocab_size, min_count, vocab, data_dir)
    cached = _load_cache(ids_path, vocab_path)
    if cached is not None:
        return (vocab, cached[1]) if vocab is not None else cached

    vocab_out, ids = count_and_encode(path, vocab_size=vocab_size, min_count=min_count,
                                      vocab=vocab, progress=progress)
    # The vocabulary file stores UNK's count, so for a given vocabulary its counts are this
    # corpus's counts under that vocabulary (what the cache check compares with the id count).
    stored = vocab_out if vocab is None else _recount(vocab, ids)
    try:
        stored.save(vocab_path)
        save_npy(ids_path, ids)
        _drop_stale(path, data_dir)
    except OSError as e:
        # Caching is an optimisation: a full disk or read-only data dir must not stop the work.
        import warnings

        warnings.warn(f"could not cache encoded corpus at {ids_path}: {e}", stacklevel=2)
        return vocab_out, ids
    return vocab_out, np.load(ids_path, mmap_mode="r")


def _recount(vocab: Vocabulary, ids: np.ndarray) -> Vocabulary:
    counts = np.bincount(ids, minlength=len(vocab)).astype(np.int64)
    return Vocabulary(vocab.words, counts)
