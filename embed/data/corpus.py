"""Stream words from text8, plain text, .gz/.bz2 files, a directory of them, or stdin.

text8 is a single 100 MB line, so nothing here reads by lines: files are read in byte chunks, each
chunk is normalised the way text8 was made (A-Z lowered, a-z kept, every other byte a separator)
and split; a word cut by a chunk boundary is carried into the next chunk. text8 itself is already
in that form and passes through unchanged.

Non-ASCII letters are separators too (``café`` -> ``caf``), as in Matt Mahoney's ``wikifil.pl``
which produced text8; digits are separators rather than spelled out.
"""
from __future__ import annotations

import bz2
import gzip
import os
import sys
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from embed.errors import EmbedError

STDIN = "-"

# bytes.translate table: a-z kept, A-Z lowered, everything else (digits, punctuation, UTF-8
# continuation bytes, control bytes) becomes a space.
_TABLE = bytes(
    b if 97 <= b <= 122 else b + 32 if 65 <= b <= 90 else 32 for b in range(256)
)

_GZIP_MAGIC = b"\x1f\x8b"
_BZIP2_MAGIC = b"BZh"
_ZIP_MAGIC = b"PK\x03\x04"


def normalize(text: str | bytes) -> str:
    """Return ``text`` as text8 spells it: lowercase a-z words separated by single spaces."""
    if isinstance(text, str):
        text = text.encode("utf-8", "replace")
    return " ".join(text.translate(_TABLE).decode("ascii").split())


def _files(source: Path) -> list[Path]:
    """The corpus files under ``source``: itself, or every non-hidden file below a directory."""
    if source.is_dir():
        files = sorted(
            p for p in source.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(source).parts)
        )
        if not files:
            raise EmbedError(f"corpus directory has no files: {source}")
        return files
    if source.is_file():
        return [source]
    if source.exists():
        raise EmbedError(f"corpus is not a regular file or directory: {source}")
    raise EmbedError(f"corpus not found: {source}")


def corpus_files(source: str | os.PathLike) -> list[Path]:
    """The files a path source stands for (sorted, hidden files skipped); EmbedError if none."""
    return _files(Path(source))


def _open(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """Open ``path`` for binary reading, decompressing by magic bytes (not by extension).

    Returns (decoded stream, raw file): the raw file's position measures progress in bytes.
    """
    try:
        raw = open(path, "rb")
    except OSError as e:
        raise EmbedError(f"cannot read corpus {path}: {e.strerror}") from None
    head = raw.read(4)
    raw.seek(0)
    if head.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    if head.startswith(_BZIP2_MAGIC):
        return bz2.BZ2File(raw, mode="rb"), raw
    if head.startswith(_ZIP_MAGIC):
        raw.close()
        raise EmbedError(f"{path} is a zip archive: unpack it first (text8.zip: `embed download`)")
    return raw, raw


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


def _read_blocks(stream: BinaryIO, name: str, chunk_bytes: int,
                 on_bytes: Callable[[], None] | None) -> Iterator[bytes]:
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
        if on_bytes is not None:
            on_bytes()
        yield block


def _sources(source) -> Iterator[tuple[str, BinaryIO, BinaryIO | None]]:
    """Yield (name, decoded stream, raw file or None) for each input, closing each after use."""
    if isinstance(source, str) and source == STDIN:
        yield "stdin", sys.stdin.buffer, None
        return
    for path in _files(Path(source)):
        stream, raw = _open(path)
        try:
            yield str(path), stream, raw
        finally:
            stream.close()
            raw.close()


def word_blocks(source: str | os.PathLike, chunk_bytes: int = 1 << 20, *,
                progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """Yield the normalised corpus as ASCII byte blocks of about ``chunk_bytes`` each.

    Every block holds only ``a-z`` and spaces and ends at a word boundary, so a block's
    ``split()`` gives whole words (see :func:`token_chunks` for sources and errors). Blocks with
    no words are not yielded.
    """
    if chunk_bytes < 1:
        raise EmbedError(f"chunk_bytes must be positive, got {chunk_bytes}")
    any_words = False
    for name, stream, raw in _sources(source):
        carry = b""
        last_pos = 0

        def on_bytes():
            nonlocal last_pos
            if raw is not None:
                pos = raw.tell()
                progress(pos - last_pos)
                last_pos = pos

        for block in _read_blocks(stream, name, chunk_bytes, on_bytes if progress else None):
            block = carry + block.translate(_TABLE)
            cut = block.rfind(b" ")
            if cut < 0:  # one word longer than the chunk: keep gathering it
                carry = block
                continue
            carry = block[cut + 1:]
            block = block[:cut]
            if block.strip():
                any_words = True
                yield block
        if carry:  # a file's end ends its last word
            any_words = True
            yield carry
    if not any_words:
        where = "stdin" if isinstance(source, str) and source == STDIN else str(source)
        raise EmbedError(f"corpus has no words: {where}")


def token_chunks(source: str | os.PathLike, chunk_bytes: int = 1 << 20, *,
                 progress: Callable[[int], None] | None = None) -> Iterator[list[str]]:
    """Yield the corpus words as lists of about ``chunk_bytes`` bytes of text each.

    ``source``: a file (text8, UTF-8 text, .gz, .bz2), a directory of such files (sorted order,
    hidden files skipped) or ``"-"`` for stdin. Each list holds normalised words (a-z only); no
    word is ever split between two lists, and a file's end always ends a word. ``progress``, if
    given, is called with the number of input (compressed) bytes consumed since its last call.

    Raises EmbedError for a missing/unreadable source, binary input, or a corpus with no words.
    """
    for block in word_blocks(source, chunk_bytes, progress=progress):
        # Blocks are pure ASCII, so the latin-1 decode cannot fail and is the fastest one.
        yield block.decode("latin-1").split()


def iter_tokens(source: str | os.PathLike, chunk_bytes: int = 1 << 20) -> Iterator[str]:
    """Every normalised word of ``source`` in order (see :func:`token_chunks`)."""
    for words in token_chunks(source, chunk_bytes):
        yield from words


def input_bytes(source: str | os.PathLike) -> int | None:
    """Total on-disk size of a path source (for progress bars); None for stdin."""
    if isinstance(source, str) and source == STDIN:
        return None
    return sum(p.stat().st_size for p in _files(Path(source)))
