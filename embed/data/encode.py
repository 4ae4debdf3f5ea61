"""Count a corpus, build its Vocabulary and encode it to an int32 id stream, cached on disk.

One pass over the text: every word gets a provisional id in first-seen order (a dict whose
misses assign the next id, so hits stay in C), the provisional ids are counted with ``bincount``,
the Vocabulary is ranked from those counts, and a lookup table maps provisional ids to final ids
(0 = UNK) in one numpy gather. Peak memory is about three int32 copies of the stream (text8:
17 M words, ~200 MB) plus the unique-word dict.

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

from embed.atomic import save_npy
from embed.data.corpus import STDIN, corpus_files, input_bytes, token_chunks
from embed.data.vocab import UNK, UNK_ID, Vocabulary
from embed.errors import EmbedError
from embed.paths import data_dir as default_data_dir

# Bump when the cache layout or the tokenizer changes so old caches are not trusted.
CACHE_VERSION = 1


class _Interner(dict):
    """word -> provisional id; a miss assigns the next id (only ~1 call per unique word)."""

    def __missing__(self, word):
        i = self[word] = len(self)
        return i


class _UnkLookup(dict):
    """word -> id in a fixed vocabulary; a miss is UNK."""

    def __missing__(self, word):
        return UNK_ID


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
    parts: list[np.ndarray] = []
    lookup = _Interner() if vocab is None else _UnkLookup(vocab.index)
    get = lookup.__getitem__
    try:
        for words in token_chunks(source, progress=bar.update if bar is not None else None):
            parts.append(np.fromiter(map(get, words), dtype=np.int32, count=len(words)))
    finally:
        if bar is not None:
            bar.close()
    ids = np.concatenate(parts) if len(parts) > 1 else parts[0]
    del parts
    if vocab is not None:
        return vocab, ids

    counts = np.bincount(ids, minlength=len(lookup))
    words = list(lookup)  # provisional id order
    vocab = Vocabulary.from_counts(dict(zip(words, counts.tolist())),
                                   size=vocab_size, min_count=min_count)
    # The word "UNK" itself, if it occurs in the text, is folded into the UNK entry.
    final = np.zeros(len(words), dtype=np.int32)
    index = vocab.index
    for prov, w in enumerate(words):
        i = index.get(w)
        if i is not None and w != UNK:
            final[prov] = i
    np.take(final, ids, out=ids)
    return vocab, ids


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
