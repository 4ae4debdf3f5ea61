"""fastText's character n-grams and their input-table rows.

A word ``w`` is represented by ``<w>`` (boundary markers): every run of ``n`` Unicode
characters of it with ``minn <= n <= maxn`` is an n-gram, except the lone markers ``<`` and
``>``. (The whole ``<w>`` is one of them when it is at most ``maxn`` characters long; fastText
and gensim both keep it.) An n-gram's row in the input table is ``nwords + hash % bucket``,
where ``hash`` is fastText's 32-bit FNV-1a over the n-gram's UTF-8 bytes with each byte first
widened as a *signed* char (``Dictionary::hash``): bytes >= 0x80 are XORed in as
``0xFFFFFF00 | b``. That quirk is part of every published model, so it is part of ours.

fastText steps through the UTF-8 bytes and skips continuation bytes (``10xxxxxx``) when it
picks a start or counts ``n``; here too, so n is counted in characters. FNV-1a is incremental,
so the kernels hash each start position once while extending it character by character instead
of re-hashing every n-gram from its first byte.

No n-grams at all when ``maxn == 0`` (fastText's switch) or ``bucket == 0`` (gensim's), and
none for fastText's end-of-sentence token ``</s>``.

Words are ``str``; bytes that were not valid UTF-8 in a file come back through
``surrogateescape`` (see `encode_word`), so they hash as the original bytes.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from numba import njit

from embed.errors import EmbedError

EOS = "</s>"
BOW, EOW = 0x3C, 0x3E  # "<", ">"
FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
MAX_ROWS = 2**31 - 1  # rows are int32 ids, as in fastText


def encode_word(word: str) -> bytes:
    """The bytes fastText hashes for `word` (UTF-8; lone surrogates from undecodable bytes in
    a file turn back into those bytes)."""
    return word.encode("utf-8", "surrogateescape")


def fnv1a(data: bytes) -> int:
    """fastText's `Dictionary::hash` of `data` (uint32), the signed-char widening included."""
    h = FNV_OFFSET
    for b in data:
        h ^= b | 0xFFFFFF00 if b >= 0x80 else b
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h


def char_ngrams(word: str, minn: int, maxn: int) -> list[str]:
    """The n-gram strings of `word` in fastText's order (by start character, then length):
    for reading and tests; the kernels below compute the rows without building strings."""
    if word == EOS:
        return []
    s = f"<{word}>"
    out = []
    for i in range(len(s)):
        for n in range(max(minn, 1), maxn + 1):
            if i + n > len(s):
                break
            if n == 1 and (i == 0 or i + n == len(s)):
                continue
            out.append(s[i:i + n])
    return out


def check_ngram_settings(minn: int, maxn: int, bucket: int, nwords: int = 0) -> None:
    """Refuse, in one line, an n-gram range or bucket count that makes no sense for training:
    fastText's own tool would silently give no n-grams or divide by zero."""
    for name, v in (("minn", minn), ("maxn", maxn), ("bucket", bucket)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise EmbedError(f"{name} must be a whole number >= 0, got {v!r}")
    if maxn == 0:
        return
    if minn < 1 or minn > maxn:
        raise EmbedError(f"n-gram range minn {minn}..maxn {maxn} is empty: need 1 <= minn <= "
                         "maxn (or maxn 0 for no n-grams)")
    if bucket == 0:
        raise EmbedError(f"bucket 0 leaves n-grams of {minn}..{maxn} characters nowhere to go: "
                         "give bucket >= 1 or maxn 0")
    if nwords + bucket > MAX_ROWS:
        raise EmbedError(f"{nwords:,} words + {bucket:,} buckets exceed fastText's "
                         f"{MAX_ROWS:,} rows")


# ---------------------------------------------------------------------------- kernels

@njit(cache=True, nogil=True, inline="always")
def _byte(buf, start, nbytes, p):
    """Byte `p` of ``<word>`` where the word is buf[start:start + nbytes]."""
    if p == 0:
        return BOW
    if p == nbytes + 1:
        return EOW
    return buf[start + p - 1]


@njit(cache=True, nogil=True)
def _word_ngrams(buf, start, nbytes, minn, maxn, bucket, nwords, out, pos):
    """Write the n-gram rows of the word buf[start:start + nbytes] (uint8 UTF-8) into `out`
    (int32) from `pos` on, or only count them when `out` has length 0. Returns the new pos."""
    if maxn <= 0 or bucket <= 0:
        return pos
    total = nbytes + 2
    count_only = out.shape[0] == 0
    for i in range(total):
        if (_byte(buf, start, nbytes, i) & 0xC0) == 0x80:
            continue  # not the first byte of a character
        h = np.uint64(FNV_OFFSET)
        j = i
        n = 1
        while j < total and n <= maxn:
            # one character: its lead byte, then its continuation bytes
            b = np.uint64(_byte(buf, start, nbytes, j))
            if b >= 0x80:
                b |= np.uint64(0xFFFFFF00)
            h = ((h ^ b) * np.uint64(FNV_PRIME)) & np.uint64(0xFFFFFFFF)
            j += 1
            while j < total and (_byte(buf, start, nbytes, j) & 0xC0) == 0x80:
                b = np.uint64(_byte(buf, start, nbytes, j)) | np.uint64(0xFFFFFF00)
                h = ((h ^ b) * np.uint64(FNV_PRIME)) & np.uint64(0xFFFFFFFF)
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == total)):
                if not count_only:
                    out[pos] = np.int32(nwords + np.int64(h % np.uint64(bucket)))
                pos += 1
            n += 1
    return pos


@njit(cache=True, nogil=True)
def _vocab_table(buf, starts, ngrams_on, minn, maxn, bucket):
    """CSR subword table of a vocabulary.

    buf: uint8 [total bytes], the words' UTF-8 bytes back to back; starts: int64 [V + 1], word
    i is buf[starts[i]:starts[i + 1]]; ngrams_on: bool [V] (False: the word's own row only).
    Returns offsets int64 [V + 1] and ids int32 [nnz]: word i's rows are
    ids[offsets[i]:offsets[i + 1]], its own row i first, then its n-gram rows.
    """
    V = starts.shape[0] - 1
    nwords = V
    empty = np.empty(0, np.int32)
    offsets = np.empty(V + 1, np.int64)
    offsets[0] = 0
    for w in range(V):
        k = 1
        if ngrams_on[w]:
            k = _word_ngrams(buf, starts[w], starts[w + 1] - starts[w], minn, maxn, bucket,
                             nwords, empty, 1)
        offsets[w + 1] = offsets[w] + k
    ids = np.empty(offsets[V], np.int32)
    for w in range(V):
        p = offsets[w]
        ids[p] = w
        if ngrams_on[w]:
            _word_ngrams(buf, starts[w], starts[w + 1] - starts[w], minn, maxn, bucket,
                         nwords, ids, p + 1)
    return offsets, ids


@njit(cache=True, nogil=True)
def _oov_rows(buf, minn, maxn, bucket, nwords):
    """n-gram rows int32 [k] of one word (uint8 UTF-8 bytes [nbytes], no markers)."""
    empty = np.empty(0, np.int32)
    k = _word_ngrams(buf, 0, buf.shape[0], minn, maxn, bucket, nwords, empty, 0)
    out = np.empty(k, np.int32)
    _word_ngrams(buf, 0, buf.shape[0], minn, maxn, bucket, nwords, out, 0)
    return out


# ---------------------------------------------------------------------------- Python API

def subword_table(words: Sequence[str], minn: int, maxn: int, bucket: int,
                  bare: Iterable[str] = (EOS,)) -> tuple[np.ndarray, np.ndarray]:
    """Rows of every vocabulary word, as fastText's ``Dictionary::initNgrams`` lists them.

    Returns (offsets int64 [V + 1], ids int32 [nnz]): word i (its row in the input table is i)
    owns ids[offsets[i]:offsets[i + 1]] = [i, nwords + hash(g) % bucket for each n-gram g].
    Words in `bare` own their row alone (fastText's ``</s>``; a trainer adds its UNK token).
    """
    bare = set(bare)
    encoded = [encode_word(w) for w in words]
    starts = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(b) for b in encoded], out=starts[1:])
    buf = np.frombuffer(b"".join(encoded), np.uint8)
    ngrams_on = np.fromiter((w not in bare for w in words), bool, len(encoded))
    if len(words) + (bucket if maxn > 0 else 0) > MAX_ROWS:
        raise EmbedError(f"{len(words):,} words + {bucket:,} buckets exceed {MAX_ROWS:,} rows")
    return _vocab_table(buf, starts, ngrams_on, minn, maxn, bucket)


def ngram_rows(word: str, minn: int, maxn: int, bucket: int, nwords: int) -> np.ndarray:
    """int32 [k] input-table rows of the n-grams of `word` (not its own row): the rows
    fastText averages for a word it does not know. Empty when there are none."""
    if word == EOS:
        return np.empty(0, np.int32)
    return _oov_rows(np.frombuffer(encode_word(word), np.uint8), minn, maxn, bucket, nwords)
