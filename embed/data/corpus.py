"""Read words from text8, plain text, .gz/.bz2 files, a directory of them, or stdin.

text8 is a single 100 MB line, so nothing here reads by lines: files are read in byte chunks and
each chunk is normalised by a tokenisation rule (:mod:`embed.data.tokens`) in a numba kernel; a
word cut by a chunk boundary is carried into the next chunk. The normalised stream is UTF-8
words separated by spaces, with ``\\n`` where a line (or a file) ended.

While reading, each file's raw bytes (compressed ones as they are on disk) are hashed with
SHA-256: the digest names the content for the encoded-corpus cache and for ``--resume``.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from embed.data.tokens import DEFAULT, MAX_TOKEN_BYTES, Normalizer
from embed.errors import EmbedError

STDIN = "-"
CHUNK_BYTES = 1 << 20

_GZIP_MAGIC = b"\x1f\x8b"
_BZIP2_MAGIC = b"BZh"
_ZIP_MAGIC = b"PK\x03\x04"

# The names embed gives its own cache files beside a corpus (embed.data.cache): never corpus text.
_CACHE_NAME = re.compile(r".+\.[0-9a-f]{12}-[0-9a-f]{12}\.(?:ids\.npy|ends\.npy|vocab\.tsv|json)")


def is_cache_file(name: str) -> bool:
    return _CACHE_NAME.fullmatch(name) is not None


def normalize(text: str | bytes, tokens: str = "text8") -> str:
    """Return ``text`` as the rule spells it: its words separated by single spaces."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    out, _ = Normalizer(tokens, lines=False)(text, True)
    return out.decode("utf-8").strip()


def _as_path(source: str | os.PathLike) -> Path:
    if not str(source):  # Path("") would be the current directory
        raise EmbedError("corpus path is empty")
    return Path(source)


def corpus_files(source: str | os.PathLike) -> list[Path]:
    """The files a path source stands for: itself, or every file below a directory (sorted;
    hidden files and embed's own cache files skipped). EmbedError if there are none."""
    source = _as_path(source)
    if source.is_dir():
        files = sorted(
            p for p in source.rglob("*")
            if p.is_file() and not is_cache_file(p.name)
            and not any(part.startswith(".") for part in p.relative_to(source).parts)
        )
        if not files:
            raise EmbedError(f"corpus directory has no files: {source}")
        return files
    if source.is_file():
        return [source]
    if source.exists():
        raise EmbedError(f"corpus is not a regular file or directory: {source}")
    raise EmbedError(f"corpus not found: {source}")


@dataclass(frozen=True)
class FileDigest:
    """What a corpus file was when it was read: its stat (for a quick 'unchanged?') and the
    SHA-256 of its bytes. A stat of -1 means the file changed while it was being read."""
    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int
    sha256: str

    @staticmethod
    def stat_of(st: os.stat_result) -> tuple[int, int, int, int, int]:
        return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev

    def same_stat(self, st: os.stat_result) -> bool:
        return (self.size, self.mtime_ns, self.ctime_ns, self.ino, self.dev) == self.stat_of(st)


class _Hashing:
    """A read-only file wrapper that hashes every byte read through it and counts them."""

    def __init__(self, f: BinaryIO, sha=None):
        self.f = f
        self.sha = hashlib.sha256() if sha is None else sha
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.sha.update(data)
        self.pos += len(data)
        return data

    def drain(self) -> None:
        """Hash the rest of the file without decoding it."""
        while self.read(CHUNK_BYTES):
            pass


def hash_file(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes."""
    with open(path, "rb") as f:
        h = _Hashing(f)
        h.drain()
    return h.sha.hexdigest()


def _open(path: Path) -> tuple[BinaryIO, BinaryIO, _Hashing]:
    """Open ``path`` for binary reading, decompressing by magic bytes (not by extension).

    Returns (decoded stream, raw file, hashing reader of the raw bytes).
    """
    try:
        raw = open(path, "rb")
    except OSError as e:
        raise EmbedError(f"cannot read corpus {path}: {e.strerror}") from None
    head = raw.read(4)
    raw.seek(0)
    hashing = _Hashing(raw)
    if head.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=hashing, mode="rb"), raw, hashing
    if head.startswith(_BZIP2_MAGIC):
        return bz2.BZ2File(hashing, mode="rb"), raw, hashing
    if head.startswith(_ZIP_MAGIC):
        raw.close()
        raise EmbedError(f"{path} is a zip archive: unpack it first (text8.zip: `embed download`)")
    return hashing, raw, hashing


def _check_text(name: str, block: bytes) -> None:
    """Refuse input that is clearly not text: NUL bytes, or invalid UTF-8 in the first block."""
    if b"\x00" in block:
        raise EmbedError(f"{name} looks binary (NUL bytes), not text")
    try:
        block.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut by the end of the block is fine.
        if e.start < len(block) - 3:
            raise EmbedError(f"{name} is not UTF-8 text (bad byte at offset {e.start})") from None


def _read_blocks(stream, name: str, chunk_bytes: int) -> Iterator[bytes]:
    first = True
    while True:
        try:
            block = stream.read(chunk_bytes)
        except (OSError, EOFError, ValueError) as e:  # corrupt gzip/bz2 streams
            raise EmbedError(f"cannot read {name}: {e}") from None
        if not block:
            return
        if first:
            _check_text(name, block)
            first = False
        elif b"\x00" in block:
            raise EmbedError(f"{name} looks binary (NUL bytes), not text")
        yield block


class CorpusReader:
    """One pass over a corpus: normalised blocks, then what was read.

    ``source``: a file (text8, UTF-8 text, .gz, .bz2), a directory of such files (sorted order,
    hidden files and embed's cache files skipped) or ``"-"`` for stdin. After :meth:`blocks`
    is exhausted: ``digests`` (one :class:`FileDigest` per file read; empty for stdin; a file
    left early is still hashed to its end), ``fingerprint`` (SHA-256 of the content),
    ``cut_tokens`` (tokens cut at MAX_TOKEN_BYTES).
    """

    def __init__(self, source: str | os.PathLike, tokens: str = DEFAULT,
                 chunk_bytes: int = CHUNK_BYTES, cap: int = MAX_TOKEN_BYTES):
        if chunk_bytes < 1:
            raise EmbedError(f"chunk_bytes must be positive, got {chunk_bytes}")
        self.stdin = isinstance(source, str) and source == STDIN
        self.source = source
        self.files = [] if self.stdin else corpus_files(source)
        self.norm = Normalizer(tokens, lines=True, cap=cap)
        self.chunk_bytes = chunk_bytes
        self.digests: list[FileDigest] = []
        self._stdin_sha = hashlib.sha256()
        self._next_file = 0
        self._open: tuple | None = None

    @property
    def cut_tokens(self) -> int:
        return self.norm.cut_tokens

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the content: the file's own for one file; for a directory, of each
        file's relative path and digest; for stdin, of the bytes read."""
        if self.stdin:
            return self._stdin_sha.hexdigest()
        if len(self.files) == 1 and not Path(self.source).is_dir():
            return self.digests[0].sha256
        root = Path(self.source)
        h = hashlib.sha256()
        for f, d in zip(self.files, self.digests):  # names as listed: a link may point outside
            h.update(f"{f.relative_to(root)}\0{d.sha256}\n".encode())
        return h.hexdigest()

    def _close_file(self, drain: bool) -> None:
        path, stream, raw, hashing, before = self._open
        self._open = None
        try:
            if drain:
                hashing.drain()
            after = os.fstat(raw.fileno())
        finally:
            if stream is not hashing:
                stream.close()
            raw.close()
        stat = FileDigest.stat_of(before)
        if stat != FileDigest.stat_of(after):  # written to while we read it: trust nothing
            stat = (-1,) * 5
        self.digests.append(FileDigest(str(path.resolve()), *stat, hashing.sha.hexdigest()))

    def blocks(self, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """Yield the normalised corpus in blocks of whole words (about ``chunk_bytes`` of input
        each); ``progress``, if given, gets the input (compressed) bytes read since its last
        call. Raises EmbedError for unreadable or binary input, or a corpus with no words."""
        any_words = False
        sources = [("stdin", None)] if self.stdin else [(str(p), p) for p in self.files]
        for name, path in sources:
            self.norm.reset()
            if path is None:
                stream = hashing = _Hashing(sys.stdin.buffer, self._stdin_sha)
            else:
                stream, raw, hashing = _open(path)
                self._open = (path, stream, raw, hashing, os.fstat(raw.fileno()))
            carry = b""
            last = 0
            try:
                for block in _read_blocks(stream, name, self.chunk_bytes):
                    if progress is not None:
                        progress(hashing.pos - last)
                        last = hashing.pos
                    data = carry + block if carry else block
                    out, used = self.norm(data, final=False)
                    carry = data[used:]
                    if out:
                        any_words = any_words or bool(out.strip())
                        yield out
                out, _ = self.norm(carry, final=True)  # a file's end ends its last word
                any_words = any_words or bool(out.strip())
                yield out + b"\n"  # ... and its last line
            except GeneratorExit:  # stopped early: the digest still covers the whole file
                if self._open is not None:
                    self._close_file(drain=True)
                raise
            finally:
                if self._open is not None:
                    self._close_file(drain=False)
        if not any_words:
            where = "stdin" if self.stdin else str(self.source)
            raise EmbedError(f"corpus has no words: {where}")


def token_chunks(source: str | os.PathLike, chunk_bytes: int = CHUNK_BYTES, *,
                 tokens: str = DEFAULT,
                 progress: Callable[[int], None] | None = None) -> Iterator[list[str]]:
    """Yield the corpus words, normalised by the ``tokens`` rule, as lists of about
    ``chunk_bytes`` bytes of text each; no word is split between two lists, and a file's end
    always ends a word (see :class:`CorpusReader` for sources and errors)."""
    for block in CorpusReader(source, tokens, chunk_bytes).blocks(progress):
        yield block.decode("utf-8").split()


def iter_tokens(source: str | os.PathLike, chunk_bytes: int = CHUNK_BYTES, *,
                tokens: str = DEFAULT) -> Iterator[str]:
    """Every normalised word of ``source`` in order (see :func:`token_chunks`)."""
    for words in token_chunks(source, chunk_bytes, tokens=tokens):
        yield from words


def input_bytes(source: str | os.PathLike) -> int | None:
    """Total on-disk size of a path source (for progress bars); None for stdin."""
    if isinstance(source, str) and source == STDIN:
        return None
    return sum(p.stat().st_size for p in corpus_files(source))
