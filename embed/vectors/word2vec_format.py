"""The original word2vec tool's files, text and binary: reading (the kind told from the content)
and writing.

Both start with a ``"n dim"`` header line. Text has one ``word v1 ... vdim`` line per word (GloVe
files are the same without the header); binary has ``word`` + a space + dim little-endian
float32, with a newline after each vector when word2vec.c wrote it and none when gensim did.
Files are memory-mapped, so ``limit`` on a multi-gigabyte file reads its first records only.
"""
from __future__ import annotations

import mmap
import os
import warnings
from pathlib import Path

import numpy as np
from numba import njit

from embed.atomic import atomic_path
from embed.errors import EmbedError
from embed.vectors.checks import first_non_finite
from embed.vectors.keyed import KeyedVectors


# ---------------------------------------------------------------------- writing
def write_word2vec(kv: KeyedVectors, path, binary: bool = False, limit: int | None = None) -> None:
    """Write `kv` (its first `limit` words) as word2vec text (shortest float32 repr, as gensim
    writes it) or binary (laid out as word2vec.c writes it, a newline after each vector);
    readable by gensim's `load_word2vec_format` and by word2vec.c's `distance`."""
    for w in kv.words:
        if not w or any(c.isspace() for c in w):
            raise EmbedError(f"word {w!r} cannot be written in word2vec format "
                             "(empty or containing whitespace)")
    n = len(kv) if limit is None else min(limit, len(kv))
    vectors = kv.vectors[:n]
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(f"{n} {kv.dim}\n".encode())
        step = 4096
        for start in range(0, n, step):
            block = vectors[start:start + step]
            words = kv.words[start:min(start + step, n)]
            if binary:
                raw = block.astype("<f4").tobytes()
                size = 4 * kv.dim
                f.write(b"".join(w.encode("utf-8") + b" " + raw[i * size:(i + 1) * size]
                                 + b"\n" for i, w in enumerate(words)))
            else:
                text = block.astype(str)  # shortest repr that reads back to the same float32
                f.write("".join(w + " " + " ".join(r) + "\n"
                                for w, r in zip(words, text.tolist())).encode("utf-8"))


# ---------------------------------------------------------------------- reading
def read_word2vec(path, limit: int | None = None, binary: bool | None = None) -> KeyedVectors:
    """Read a word2vec text or binary file (`binary=None`: detect from the content).

    Duplicate words keep their first vector, as gensim does. A file shorter than its header
    says, a line of the wrong length, a word with a space, or NaN / infinity raises
    `EmbedError` naming the file and the line or record.
    """
    path = Path(path)
    data = _map(path)
    nl = data.find(b"\n")
    header = _parse_header(data[:nl if nl >= 0 else len(data)])
    if header is None:
        if binary:
            raise EmbedError(f"{path}: no 'count dim' header line; not a word2vec binary file")
        return _read_text(path, _text_prefix(data, 0, limit), 0, None, None, limit)
    n, dim = header
    if dim < 1:
        raise EmbedError(f"{path}: header says {dim} dimensions")
    whole = limit is None or n <= limit
    if limit is not None:
        n = min(n, limit)
    body = nl + 1
    if binary is None:
        binary = not _first_record_is_text(path, data, body, dim)
    if binary:
        return _read_binary(path, data, body, n, dim, whole)
    return _read_text(path, _text_prefix(data, body, n if limit is not None else None),
                      body, n, dim, limit)


def _parse_header(line: bytes):
    parts = line.split()
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        return int(parts[0]), int(parts[1])
    return None


def _map(path: Path):
    """The file's bytes, memory-mapped: only the pages a reader touches are read."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _text_prefix(data, start: int, lines: int | None) -> bytes:
    """`data` up to the end of the `lines`-th line after `start` (all of it when None)."""
    if lines is None:
        return data[:]
    end = start
    for _ in range(lines):
        nl = data.find(b"\n", end)
        if nl < 0:
            return data[:]
        end = nl + 1
    return data[:end]


def _are_numbers(tokens) -> bool:
    try:
        [float(t) for t in tokens]
    except ValueError:
        return False
    return True


def _first_record_is_text(path: Path, data, start: int, dim: int) -> bool:
    """Text if the first record after the header is a line ending in `dim` decimal numbers
    (a word with a space before them is still text, and refused as such by the text reader);
    binary otherwise. A first line that is a word and some other count of numbers is an
    error: reading it as binary would only produce garbage."""
    end = data.find(b"\n", start)
    parts = bytes(data[start:end if end >= 0 else start + 65536]).split()
    if len(parts) > dim and _are_numbers(parts[-dim:]):
        return True
    if len(parts) > 1 and _are_numbers(parts[1:]):
        raise EmbedError(f"{path}:2: {len(parts) - 1} numbers after the word, but the header "
                         f"says {dim} dimensions")
    return False


def _spaced_word(tokens: list[str], dim: int) -> str | None:
    """The word of a text line that is several tokens and then `dim` numbers, else None."""
    if len(tokens) > dim + 1 and not _are_numbers(tokens[1:2]) and _are_numbers(tokens[-dim:]):
        return " ".join(tokens[:-dim])
    return None


def _read_text(path: Path, data: bytes, pos: int, n: int | None, dim: int | None,
               limit: int | None) -> KeyedVectors:
    text = data[pos:].decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if n is None:  # no header (GloVe style): every line is a word
        n = len(lines) if limit is None else min(limit, len(lines))
        if n == 0:
            raise EmbedError(f"{path}: empty vectors file")
    if len(lines) < n:
        raise EmbedError(f"{path}: header promises {n} vectors but the file has {len(lines)}; "
                         "truncated?")
    first = 2 if pos else 1  # line number of lines[0]
    words, rests = [], []
    for line in lines[:n]:
        word, _, rest = line.rstrip("\r ").partition(" ")
        words.append(word)
        rests.append(rest)
    if dim is None:
        dim = len(rests[0].split())
        if dim == 0 or not _numbers_ok(rests[0], dim):
            _refuse_spaced_word(path, first, lines[0], None)
            raise EmbedError(f"{path}: not a vectors file (no 'count dim' header line, and "
                             "line 1 is not a word followed by numbers)")
    # one C-level parse of all numbers; the per-line count check catches lines that are
    # short or long even when the total happens to match
    counts_ok = all(r.count(" ") == dim - 1 for r in rests) or \
        all(len(r.split()) == dim for r in rests)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns when it stops early at a bad number
        try:
            values = np.fromstring(" ".join(rests), dtype=np.float32, sep=" ")
        except ValueError:  # newer numpy raises where older ones warned
            values = None
    if not counts_ok or values is None or values.size != n * dim:
        bad = next((i for i, r in enumerate(rests) if not _numbers_ok(r, dim)), None)
        if bad is None:
            raise EmbedError(f"{path}: expected a word and {dim} numbers per line; damaged or "
                             "not a word2vec text file")
        _refuse_spaced_word(path, bad + first, lines[bad], dim)
        raise EmbedError(f"{path}:{bad + first}: expected a word and {dim} numbers; "
                         "damaged or not a word2vec text file")
    values = values.reshape(n, dim)
    bad = first_non_finite(values)
    if bad is not None:  # as for binary files: a NaN row would silently answer nothing
        raise EmbedError(f"{path}:{bad + first}: vector contains NaN or infinity; damaged file?")
    return _dedupe(words, values)


def _refuse_spaced_word(path: Path, line_no: int, line: str, dim: int | None) -> None:
    """Name the word when a line is a word with spaces and then the right count of numbers
    (`dim=None`: as many numbers as end the line, for files without a header)."""
    tokens = line.split()
    if dim is None:
        dim = next((i for i in range(len(tokens)) if not _are_numbers(tokens[-1 - i:])),
                   len(tokens))
    word = _spaced_word(tokens, dim) if dim else None
    if word is not None:
        raise EmbedError(f"{path}:{line_no}: the word {word!r} contains a space; a word2vec "
                         f"text line is one word without spaces and {dim} numbers")


def _numbers_ok(rest: str, dim: int) -> bool:
    parts = rest.split()
    return len(parts) == dim and _are_numbers(parts)


@njit(cache=True, nogil=True)
def _scan_binary(buf, pos, n, size, words, starts, out):
    """Walk `n` word2vec binary records ``word<space><size bytes>`` in `buf` (uint8) from
    `pos`: the words go into `words` (uint8, each followed by a newline, so one decode and
    one split make the list), each record's first byte into starts [n] (int64), the vector
    bytes into out [n, size]. Newlines before a word are skipped (word2vec.c writes one after
    each vector; gensim does not); a control character (a newline, most often) inside a word
    means the records are out of step: a vector's bytes are being read as a word.

    Returns (records read, bytes of `words` used, `words` (regrown if words were long), the
    position after the last record read, True if record `records read` holds a control
    character)."""
    total = buf.shape[0]
    w = 0
    for i in range(n):
        while pos < total and (buf[pos] == 10 or buf[pos] == 13):
            pos += 1
        start = pos
        starts[i] = start
        while pos < total and buf[pos] != 32:
            if buf[pos] < 32 or buf[pos] == 127:
                return i, w, words, start, True
            pos += 1
        if pos + 1 + size > total:
            return i, w, words, start, False
        length = pos - start
        if w + length + 1 > words.shape[0]:  # grow the word buffer (rare: long words)
            bigger = np.empty(2 * (w + length + 1), np.uint8)
            bigger[:w] = words[:w]
            words = bigger
        words[w:w + length] = buf[start:pos]
        words[w + length] = 10
        w += length + 1
        pos += 1
        out[i, :] = buf[pos:pos + size]
        pos += size
    return n, w, words, pos, False


_OUT_OF_STEP = ("the records are out of step, as when a word contains a space (word2vec binary "
                "cannot hold one); damaged file?")


def _read_binary(path: Path, data, pos: int, n: int, dim: int, whole: bool) -> KeyedVectors:
    """`whole`: the header's every record is asked for, so nothing but whitespace may follow."""
    size = 4 * dim
    avail = len(data) - pos
    if n * (size + 1) > avail:  # before allocating: a damaged header may claim 10^12 words
        raise EmbedError(f"{path}: header says {n} words of {dim} dimensions (at least "
                         f"{n * (size + 1):,} bytes) but {avail:,} bytes follow it; truncated "
                         "or not a word2vec binary file")
    raw = np.empty((n, size), np.uint8)
    starts = np.empty(n, np.int64)
    buf = np.frombuffer(data, np.uint8)
    words = np.empty(max(16, min(avail, 16 * n)), np.uint8)
    done, used, words, end, broken = _scan_binary(buf, pos, n, size, words, starts, raw)
    if broken:
        raise EmbedError(f"{path}: record {done + 1} (byte {end}) has a control character in "
                         f"its word: {_OUT_OF_STEP}")
    if done < n:
        raise EmbedError(f"{path}: ends after {done} of {n} vectors; truncated or damaged "
                         "word2vec binary file")
    words = _decode_words(path, words[:used - 1].tobytes(), starts) if n else []
    if whole:
        rest = buf[end:]
        extra = np.count_nonzero((rest != 10) & (rest != 13) & (rest != 32) & (rest != 9))
        if extra:  # a space in the last word leaves that record's tail over at the end
            raise EmbedError(f"{path}: {extra} bytes follow the last of the {n} records (from "
                             f"byte {end}): {_OUT_OF_STEP}")
    vectors = raw.view("<f4").astype(np.float32, copy=False)
    bad = first_non_finite(vectors)
    if bad is not None:
        raise EmbedError(f"{path}: record {bad + 1} ({words[bad]!r}, byte {starts[bad]}) "
                         "contains NaN or infinity; damaged file?")
    return _dedupe(words, vectors)


def _decode_words(path: Path, blob: bytes, starts: np.ndarray) -> list[str]:
    """The words of `blob` (separated by newlines). A word that is not UTF-8 is, in practice,
    the tail of a vector read as a word: the records went out of step there (gensim's reader
    refuses non-UTF-8 words too)."""
    try:
        return blob.decode("utf-8").split("\n")
    except UnicodeDecodeError as e:
        bad = blob.count(b"\n", 0, e.start)
    before = blob.split(b"\n")[bad - 1].decode("utf-8", "replace") if bad else None
    after = f" (after {before!r})" if bad else ""
    raise EmbedError(f"{path}: record {bad + 1} (byte {starts[bad]}){after} is not UTF-8 text: "
                     f"{_OUT_OF_STEP}")


def _dedupe(words: list[str], vectors: np.ndarray) -> KeyedVectors:
    """KeyedVectors of the words, keeping the first vector of a repeated word (as gensim)."""
    if len(set(words)) == len(words):
        return KeyedVectors(words, vectors)
    seen = {}
    for i, w in enumerate(words):
        seen.setdefault(w, i)
    keep = np.fromiter(seen.values(), dtype=np.int64)
    keep.sort()
    return KeyedVectors([words[i] for i in keep.tolist()], vectors[keep])
