"""A numba hash table that gives every word of normalised text a dense id and counts it.

Interning a word costs no Python string, so a whole corpus is counted and encoded at C speed;
only the unique words become ``str`` at the end. The same pass records sentence ends: a ``\\n``
in the text ends a sentence, and so does every MAX_SENTENCE-th word of one line (gensim's
``max_sentence_length``).
"""
from __future__ import annotations

import numpy as np
from numba import njit

MAX_SENTENCE = 10_000

_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)
_SPACE, _NL = 32, 10


@njit(cache=True, nogil=True)
def _intern(buf, pos, out, n_out, table, hashes, offsets, lengths, counts, arena, state,
            insert, ends, sent):
    """Give every word of ``buf`` (UTF-8 words separated by spaces and ``\\n``) its id.

    Open-addressing hash table (FNV-1a, linear probing): ``table[slot]`` is a word id or -1;
    word ``w``'s bytes are ``arena[offsets[w]:offsets[w] + lengths[w]]``. New words get the next
    id when ``insert`` (counting every occurrence in ``counts``); otherwise a miss gives -1.
    ``state`` = [words so far, arena bytes used]. ``ends`` (int64) receives sentence ends;
    ``sent`` = [ends so far, ids at the last end, max sentence length]; the caller leaves room
    in ``ends`` for every ``\\n`` of ``buf`` plus one per ``sent[2]`` words. Returns
    (pos, n_out, full): ``full`` means a new word did not fit; grow the arrays and
    call again from ``pos``.
    """
    n = buf.shape[0]
    mask = np.uint64(table.shape[0] - 1)
    i = pos
    while i < n:
        b = buf[i]
        if b == _SPACE:
            i += 1
            continue
        if b == _NL:
            if n_out > sent[1]:
                ends[sent[0]] = n_out
                sent[0] += 1
                sent[1] = n_out
            i += 1
            continue
        start = i
        h = _FNV_OFFSET
        while i < n:
            c = buf[i]
            if c > _SPACE:  # most bytes: no separator test needed
                h = (h ^ np.uint64(c)) * _FNV_PRIME
                i += 1
                continue
            if c == _SPACE:
                break
            if c == _NL:
                break
            h = (h ^ np.uint64(c)) * _FNV_PRIME  # a control byte inside a `split` token
            i += 1
        length = i - start
        slot = h & mask
        found = -1
        while True:
            w = table[slot]
            if w < 0:
                break
            if hashes[w] == h:
                if lengths[w] != length:
                    slot = (slot + np.uint64(1)) & mask
                    continue
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
        if found < 0 and insert:  # a new word: rare, so `and` costs nothing here
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
        if insert:
            counts[found] += 1  # found >= 0: inserting never misses
        out[n_out] = found
        n_out += 1
        if n_out - sent[1] >= sent[2]:
            ends[sent[0]] = n_out
            sent[0] += 1
            sent[1] = n_out
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
    """Words seen so far, each with a dense id in first-seen order and its count, plus the
    sentence ends of the text encoded through it."""

    def __init__(self, capacity: int = 1 << 16, max_sentence: int = MAX_SENTENCE):
        self.table = np.full(2 * capacity, -1, dtype=np.int32)
        self.hashes = np.zeros(capacity, dtype=np.uint64)
        self.offsets = np.zeros(capacity, dtype=np.int64)
        self.lengths = np.zeros(capacity, dtype=np.int32)
        self.counts = np.zeros(capacity, dtype=np.int64)
        self.arena = np.zeros(8 * capacity, dtype=np.uint8)
        self.state = np.zeros(2, dtype=np.int64)
        self.ends = np.empty(1 << 12, dtype=np.int64)
        self.sent = np.array([0, 0, max_sentence], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.state[0])

    def _grow(self, need: int) -> None:
        """Room for one more word of up to ``need`` bytes."""
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
        if used + need > self.arena.shape[0]:
            arena = np.zeros(max(2 * self.arena.shape[0], used + need) + (1 << 20), dtype=np.uint8)
            arena[:used] = self.arena[:used]
            self.arena = arena

    def encode_into(self, block: bytes, out: np.ndarray, n: int, insert: bool = True) -> int:
        """Write the ids of ``block``'s words to ``out[n:]``; return the new fill level.

        ``block``: UTF-8 words separated by spaces, ``\\n`` ending sentences. ``out`` needs
        ``len(block) // 2 + 1`` free slots. Unknown words get new ids when ``insert``, else -1.
        """
        room = self.sent[0] + block.count(b"\n") + len(block) // (2 * self.sent[2]) + 2
        if room > len(self.ends):
            ends = np.empty(max(2 * len(self.ends), room), dtype=np.int64)
            ends[: self.sent[0]] = self.ends[: self.sent[0]]
            self.ends = ends
        buf = np.frombuffer(block, dtype=np.uint8)
        pos, stuck = 0, -1
        while True:
            pos, n, full = _intern(buf, pos, out, n, self.table, self.hashes, self.offsets,
                                   self.lengths, self.counts, self.arena, self.state, insert,
                                   self.ends, self.sent)
            if not full:
                return n
            if pos == stuck:  # grown for this very word and still no room: never loop on it
                raise RuntimeError(f"word table cannot take a {len(block) - pos}-byte word")
            stuck = pos
            self._grow(len(block) - pos)

    def end_sentence(self, n: int) -> None:
        """A sentence ends after ``n`` ids (the end of the text); nothing if it is empty."""
        if n > self.sent[1]:
            if self.sent[0] >= len(self.ends):
                self.ends = np.concatenate([self.ends, np.empty_like(self.ends)])
            self.ends[self.sent[0]] = n
            self.sent[0] += 1
            self.sent[1] = n

    def sentence_ends(self) -> np.ndarray:
        return self.ends[: self.sent[0]]

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
        return [arena[o:o + k].decode("utf-8", "replace") for o, k in zip(offs, lens)]
