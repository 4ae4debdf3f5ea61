"""The numba kernels behind :mod:`embed.data.tokens`: raw UTF-8 bytes in, normalised words out.

One compiled kernel per rule (``words``, ``text8``, ``split``) over a shared body: ASCII bytes
are classified and lowercased through 128-entry tables inside the loop, other characters are
decoded (maximal invalid sequences as Python's ``errors="replace"`` counts them) and looked up
in the per-code-point tables of :mod:`embed.data.unicode_table`. The output is each token
followed by a space, with ``\\n`` where a line ended.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from embed.data import unicode_table as ut

# character classes inside the kernel
_SEP, _LINE, _WORD, _APOS, _IDEO = 0, 1, 2, 3, 4
_NL, _SPACE_BYTE, _APOSTROPHE = 10, 32, 39


@njit(cache=True, nogil=True)
def _decode(buf, i, n, final):
    """(code point, bytes) of the UTF-8 character at ``buf[i]``: code point -1 for an invalid
    sequence (its maximal valid prefix, at least one byte); 0 bytes when a non-final buffer
    ends inside the character."""
    b = np.int64(buf[i])
    if b < 0x80:
        return b, 1
    if b < 0xC2:
        return -1, 1
    if b > 0xF4:
        return -1, 1
    lo, hi = 0x80, 0xBF
    if b < 0xE0:
        need, cp = 1, b & 0x1F
    elif b < 0xF0:
        need, cp = 2, b & 0x0F
        if b == 0xE0:
            lo = 0xA0
        elif b == 0xED:
            hi = 0x9F
    else:
        need, cp = 3, b & 0x07
        if b == 0xF0:
            lo = 0x90
        elif b == 0xF4:
            hi = 0x8F
    for k in range(1, need + 1):
        if i + k >= n:
            return (-1, k) if final else (0, 0)
        c = np.int64(buf[i + k])
        if c < lo:
            return -1, k
        if c > hi:
            return -1, k
        cp = (cp << 6) | (c & 0x3F)
        lo, hi = 0x80, 0xBF
    return cp, need + 1


@njit(cache=True, nogil=True)
def _class(rule, cp, flags):
    if cp == _NL:
        return _LINE
    if rule == 1:  # text8: bytes, a-z after lowering
        if cp >= 128:
            return _SEP
        return _WORD if (flags[cp] & ut.CASED) != 0 else _SEP  # ASCII letters
    if rule == 2:  # split
        if cp < 0:
            return _WORD
        return _SEP if (flags[cp] & ut.SPACE) != 0 else _WORD
    if cp < 0:
        return _SEP
    f = flags[cp]
    if (f & ut.IDEO) != 0:
        return _IDEO
    if (f & ut.WORD) != 0:
        return _WORD
    if (f & ut.APOS) != 0:
        return _APOS
    return _SEP


@njit(cache=True, nogil=True)
def _put(out, o, cp):
    """UTF-8 encode ``cp`` at ``out[o]``; return the new end."""
    if cp < 0x80:
        out[o] = cp
        return o + 1
    if cp < 0x800:
        out[o] = 0xC0 | (cp >> 6)
        out[o + 1] = 0x80 | (cp & 0x3F)
        return o + 2
    if cp < 0x10000:
        out[o] = 0xE0 | (cp >> 12)
        out[o + 1] = 0x80 | ((cp >> 6) & 0x3F)
        out[o + 2] = 0x80 | (cp & 0x3F)
        return o + 3
    out[o] = 0xF0 | (cp >> 18)
    out[o + 1] = 0x80 | ((cp >> 12) & 0x3F)
    out[o + 2] = 0x80 | ((cp >> 6) & 0x3F)
    out[o + 3] = 0x80 | (cp & 0x3F)
    return o + 4


@njit(cache=True, nogil=True)
def _final_sigma(cps, k, m, flags):
    """Is the capital sigma at ``cps[k]`` word-final, by the rule ``str.lower`` applies:
    a cased letter before it and none after it, case-ignorable characters skipped."""
    # (no `and`/`or` here: numba compiles them into a much slower loop)
    j = k - 1
    while j >= 0:
        if (flags[cps[j]] & ut.IGNORABLE) == 0:
            break
        j -= 1
    if j < 0:
        return False
    if (flags[cps[j]] & ut.CASED) == 0:
        return False
    j = k + 1
    while j < m:
        if (flags[cps[j]] & ut.IGNORABLE) == 0:
            break
        j += 1
    if j == m:
        return True
    return (flags[cps[j]] & ut.CASED) == 0


@njit(cache=True, nogil=True)
def _emit(rule, cps, m, out, o, flags, lower, expand, cap):
    """Write the token ``cps[:m]`` normalised, cut to ``cap`` bytes, then a space.
    Returns (new end, 1 if the token was cut else 0)."""
    start = o
    for k in range(m):
        cp = cps[k]
        if rule == 0:
            if cp == 0x3A3:
                cp = 0x3C2 if _final_sigma(cps, k, m, flags) else 0x3C3
            else:
                low = lower[cp]
                if low < 0:
                    row = -low - 1
                    for e in range(expand.shape[1] - 1):
                        if expand[row, e] >= 0:
                            o = _put(out, o, expand[row, e])
                    cp = expand[row, expand.shape[1] - 1]
                    if cp < 0:
                        continue
                else:
                    cp = low
        elif rule == 1:
            if cp <= 90:
                cp += 32
        o = _put(out, o, cp)
    cut = 0
    if o - start > cap:
        o = start + cap
        while (out[o] & 0xC0) == 0x80:  # back to the first byte of the character cut in two
            o -= 1
        cut = 1
    out[o] = _SPACE_BYTE
    return o + 1, cut


@njit(cache=True, nogil=True, inline="always")
def _normalize(buf, final, rule, lines, out, cps, acls, alow, flags, lower, expand, state, cap):
    """Normalise raw UTF-8 ``buf`` (uint8 [n]) into ``out`` (uint8, >= 4n + 8 bytes: in
    ``split`` an invalid byte becomes a 3-byte U+FFFD).

    ``out`` gets each token followed by a space, and a ``\\n`` for every line end when
    ``lines``. ``cps`` (int64 [cap + 8]) holds the token being read. ``acls``/``alow`` (uint8
    [128]): the rule's class and lowercase of each ASCII byte, the fast path that needs no
    call; ``flags``, ``lower``, ``expand``: :mod:`embed.data.unicode_table`. ``state`` (int64
    [2]) carries across calls: [inside the rest of an over-long token, tokens cut so far].
    Unless ``final``, the buffer's last, possibly unfinished token (or character) is left
    unread for the next call. Returns (bytes consumed, bytes written).

    One pass, one character at a time: a word character extends the token, an apostrophe
    after a token waits for the next character to say whether it is inside, anything else ends
    the token; a token of more than ``cap`` characters is written cut and its rest skipped.
    """
    n = buf.shape[0]
    o = 0
    i = 0
    m = 0  # characters of the token being read (0: none)
    start = 0  # where it began in buf
    plain = True  # all ASCII so far: lowered through alow, no call
    apos = False  # an apostrophe right after the token, not yet known to be inside it
    skipping = state[0] != 0
    while i <= n:
        if i == n:  # the end of the text ends the token
            if not final:
                break
            cp, ln, c = np.int64(0), 1, np.int64(_SEP)
        else:
            b = buf[i]
            if b < 128:
                cp, ln, c = np.int64(b), 1, np.int64(acls[b])
            elif rule == 1:
                cp, ln, c = np.int64(b), 1, np.int64(_SEP)
            else:
                cp, ln = _decode(buf, i, n, final)
                if ln == 0:
                    break
                c = np.int64(_class(rule, cp, flags))
        if skipping:
            if c == _WORD:
                i += ln
                continue
            if c == _APOS:
                i += ln
                continue
            skipping = False
        if c == _WORD:
            if m == 0:
                start = i
                plain = True
            if apos:
                cps[m] = _APOSTROPHE
                m += 1
                apos = False
            v = cp if cp >= 0 else 0xFFFD  # `split` keeps invalid UTF-8 as U+FFFD
            cps[m] = v
            m += 1
            if v >= 128:
                plain = False
            i += ln
            if m <= cap:
                continue
            skipping = True  # over-long: written cut below, the rest of it skipped
            ln = 0
        elif c == _APOS:
            if m > 0:
                if not apos:
                    apos = True
                    i += ln
                    continue
        if m > 0:
            if plain:
                for k in range(min(m, cap)):
                    out[o] = alow[cps[k]]
                    o += 1
                out[o] = _SPACE_BYTE
                o += 1
                if m > cap:
                    state[1] += 1
            else:
                o, cut = _emit(rule, cps, m, out, o, flags, lower, expand, cap)
                state[1] += cut
            m = 0
        apos = False
        if c == _LINE:
            if lines:
                out[o] = _NL
                o += 1
        elif c == _IDEO:
            cps[0] = cp
            o, _ = _emit(rule, cps, 1, out, o, flags, lower, expand, cap)
        i += ln
    state[0] = 1 if skipping else 0
    if m > 0:  # an unfinished token: read again with the next block
        return start, o
    return min(i, n), o


# One compiled kernel per rule: with the rule a constant, numba drops the other rules' branches
# (a run-time rule made the loop many times slower).
@njit(cache=True, nogil=True)
def _normalize_words(buf, final, lines, out, cps, acls, alow, flags, lower, expand, state, cap):
    return _normalize(buf, final, 0, lines, out, cps, acls, alow, flags, lower, expand, state,
                      cap)


@njit(cache=True, nogil=True)
def _normalize_text8(buf, final, lines, out, cps, acls, alow, flags, lower, expand, state, cap):
    return _normalize(buf, final, 1, lines, out, cps, acls, alow, flags, lower, expand, state,
                      cap)


@njit(cache=True, nogil=True)
def _normalize_split(buf, final, lines, out, cps, acls, alow, flags, lower, expand, state, cap):
    return _normalize(buf, final, 2, lines, out, cps, acls, alow, flags, lower, expand, state,
                      cap)


KERNELS = (_normalize_words, _normalize_text8, _normalize_split)


def ascii_rule_tables(rule: str) -> tuple[np.ndarray, np.ndarray]:
    """(class, lowercase) of each ASCII byte under ``rule``: the kernel's fast path."""
    acls = np.full(128, _SEP, dtype=np.uint8)
    alow = np.arange(128, dtype=np.uint8)
    for b in range(128):
        ch = chr(b)
        if rule == "text8":
            word = ch.isascii() and ch.isalpha()
        elif rule == "split":
            word = not ch.isspace()
        else:
            word = ch.isalnum()
            if ch in ut.APOSTROPHES:
                acls[b] = _APOS
        if word:
            acls[b] = _WORD
        if rule != "split":
            alow[b] = ord(ch.lower())
    acls[_NL] = _LINE
    return acls, alow


@njit(cache=True, nogil=True)
def longest_run(buf):
    """Bytes in the longest run without a space or newline (uint8 [n] text). Branch-free: it
    runs over every byte of text8-form blocks, and measured twice as fast as with branches."""
    longest = 0
    run = 0
    for i in range(buf.shape[0]):
        c = buf[i]
        run = (run + 1) * (np.int64(c != _SPACE_BYTE) & np.int64(c != _NL))
        longest = max(longest, run)
    return longest
