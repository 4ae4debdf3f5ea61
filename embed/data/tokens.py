"""Tokenisation rules: how raw text becomes words, named so a vocabulary can say which it used.

- ``words`` (the default): runs of Unicode letters, marks and numbers, any script; an apostrophe
  (``'`` or ``’``, stored as ``'``) between two such characters stays inside the word
  (``don't``, ``l'homme``); each CJK ideograph is a word of its own (Chinese and Japanese text
  has no spaces, so a run would be a whole sentence). Words are lowercased as Python's
  ``str.lower`` does (``Straße`` -> ``straße``, ``ΟΔΟΣ`` -> ``οδος``). text8 is a-z words and
  spaces, so this rule gives exactly text8's tokens.
- ``text8``: the normalisation that made text8: A-Z lowered, every byte outside a-z separates
  words (``café`` -> ``caf``); for reproducing the seed's examples.
- ``split``: whitespace-separated tokens exactly as they are (word2vec.c, fastText, gensim's
  ``LineSentence``); whitespace as ``str.split`` sees it.

With every rule a line end ends a sentence (see ``sentences`` in :mod:`embed.data.encode`), and
a token longer than MAX_TOKEN_BYTES bytes of UTF-8 is cut to that length at a character boundary
(word2vec.c cuts at 100 bytes too); a long run is lowercased from its first MAX_TOKEN_BYTES + 1
characters only. Invalid UTF-8 (past the first block, which is checked) separates words, or in
``split`` becomes U+FFFD, one per maximal invalid sequence as Python's ``errors="replace"``.

The numba kernel :class:`Normalizer` turns raw bytes into normalised UTF-8 words separated
by spaces, with ``\\n`` where a line ended; :func:`normalizer` applies a rule to one query word.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numba import njit

from embed.data import unicode_table as ut
from embed.data.vocab import RULES
from embed.errors import EmbedError

DEFAULT = "words"
MAX_TOKEN_BYTES = 100
_RULE_CODE = {"words": 0, "text8": 1, "split": 2}

# character classes inside the kernel
_SEP, _LINE, _WORD, _APOS, _IDEO = 0, 1, 2, 3, 4
_NL, _SPACE_BYTE, _APOSTROPHE = 10, 32, 39


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise EmbedError(f"unknown tokens rule {rule!r}: choose one of {', '.join(RULES)}")
    return rule


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
    ``lines``. ``cps`` (int64 [cap + 8]) is scratch. ``acls``/``alow`` (uint8 [128]): the
    rule's class and lowercase of each ASCII byte, the fast path that needs no call; ``flags``,
    ``lower``, ``expand``: :mod:`embed.data.unicode_table`. ``state`` (int64 [2]) carries
    across calls: [inside the rest of an over-long token, tokens cut so far]. Unless ``final``,
    the buffer's last, possibly unfinished token (or character) is left unread for the next
    call. Returns (bytes consumed, bytes written).
    """
    n = buf.shape[0]
    o = 0
    i = 0
    # The ASCII-or-decode step is written out twice (here and in the word loop) on purpose: as
    # a helper function, inlined or not, numba compiled the loop 5-10x slower.
    while i < n:
        b = buf[i]
        if b < 128:
            cp, ln, c = np.int64(b), 1, np.int64(acls[b])
        elif rule == 1:
            cp, ln, c = np.int64(b), 1, _SEP
        else:
            cp, ln = _decode(buf, i, n, final)
            if ln == 0:
                break
            c = _class(rule, cp, flags)
        if state[0] != 0:  # skipping the rest of a token already cut
            if c == _WORD:
                i += ln
                continue
            if c == _APOS:
                i += ln
                continue
            state[0] = 0
        if c != _WORD:
            if c == _LINE:
                if lines:
                    out[o] = _NL
                    o += 1
            elif c == _IDEO:
                cps[0] = cp
                o, _ = _emit(rule, cps, 1, out, o, flags, lower, expand, cap)
            i += ln
            continue
        # a word: gather its code points up to cap + 1 of them (then it will be cut anyway)
        start = i
        m = 0
        j = i
        done = False
        plain = True  # all ASCII: lowered by alow, no call
        while m <= cap:
            if j >= n:
                done = final
                break
            b2 = buf[j]
            if b2 < 128:
                cp2, ln2, c2 = np.int64(b2), 1, np.int64(acls[b2])
            elif rule == 1:
                cp2, ln2, c2 = np.int64(b2), 1, _SEP
            else:
                cp2, ln2 = _decode(buf, j, n, final)
                if ln2 == 0:
                    break
                c2 = _class(rule, cp2, flags)
                plain = False
            if c2 == _WORD:
                cps[m] = cp2 if cp2 >= 0 else 0xFFFD
                m += 1
                j += ln2
                continue
            if c2 == _APOS:
                if j + ln2 >= n:
                    done = final
                    break
                cp3, ln3 = _decode(buf, j + ln2, n, final)
                if ln3 == 0:
                    break
                c3 = np.int64(acls[cp3]) if 0 <= cp3 < 128 else _class(rule, cp3, flags)
                if c3 == _WORD:
                    cps[m] = _APOSTROPHE
                    cps[m + 1] = cp3
                    m += 2
                    j += ln2 + ln3
                    if cp3 >= 128:
                        plain = False
                    continue
            done = True
            break
        if m > cap:
            state[0] = 1
            done = True
        if not done:
            return start, o
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
        i = j
    return i, o


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


_KERNELS = (_normalize_words, _normalize_text8, _normalize_split)


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


_ASCII = None


def _ascii():
    global _ASCII
    if _ASCII is None:
        _ASCII = ut.ascii_tables()
    return _ASCII


_TEXT8_BYTES = b"abcdefghijklmnopqrstuvwxyz \n"


@njit(cache=True, nogil=True)
def _longest_run(buf):
    """Bytes in the longest run without a space or newline (uint8 [n] text)."""
    longest = 0
    run = 0
    for i in range(buf.shape[0]):
        c = buf[i]
        if c == _SPACE_BYTE:
            run = 0
        elif c == _NL:
            run = 0
        else:
            run += 1
            if run > longest:
                longest = run
    return longest


class Normalizer:
    """The rule's kernel over a stream of raw blocks, with its state between them."""

    def __init__(self, rule: str, lines: bool = True, cap: int = MAX_TOKEN_BYTES):
        self.rule = check_rule(rule)
        self.code = _RULE_CODE[rule]
        self.lines = lines
        self.cap = cap
        self.cps = np.zeros(cap + 8, dtype=np.int64)
        self.state = np.zeros(2, dtype=np.int64)
        self.ascii = ascii_rule_tables(rule)
        self.tables = _ascii()
        self.unicode = False

    @property
    def cut_tokens(self) -> int:
        return int(self.state[1])

    def reset(self) -> None:
        """A new file: its first bytes do not continue the last file's over-long token."""
        self.state[0] = 0

    def __call__(self, data: bytes, final: bool) -> tuple[bytes, int]:
        """Normalise ``data``; return (normalised bytes, bytes of ``data`` consumed)."""
        if (self.lines and not self.state[0] and not data[:512].translate(None, _TEXT8_BYTES)
                and not data.translate(None, _TEXT8_BYTES)):  # (the prefix fails other text fast)
            # Already in normal form under every rule (text8 itself): pass it through, after
            # the last separator, unless some word needs cutting.
            cut = len(data) if final else max(data.rfind(b" "), data.rfind(b"\n")) + 1
            if cut > 0 and _longest_run(np.frombuffer(data, dtype=np.uint8)[:cut]) <= self.cap:
                return data[:cut] + (b" " if final else b""), cut
        if not self.unicode and self.code != 1 and not data.isascii():
            self.tables = ut.tables()
            self.unicode = True
        buf = np.frombuffer(data, dtype=np.uint8)
        out = np.empty(4 * len(data) + 8, dtype=np.uint8)  # an invalid byte -> 3
        used, o = _KERNELS[self.code](buf, final, self.lines, out, self.cps, *self.ascii,
                                      *self.tables, self.state, self.cap)
        return out[:o].tobytes(), int(used)


def tokenize(text: str, rule: str = DEFAULT) -> list[str]:
    """The tokens ``rule`` makes of ``text`` (lines not marked), by the same kernel as corpora."""
    data, _ = Normalizer(rule, lines=False)(text.encode("utf-8", "surrogatepass"), True)
    return data.decode("utf-8").split(" ")[:-1] if data else []


def normalizer(rule: str) -> Callable[[str], str]:
    """The function that spells a query word the way ``rule`` spelled the vocabulary.

    Each token in the word is normalised (``"King"`` -> ``"king"``, ``"l’Homme"`` ->
    ``"l'homme"``); leading and trailing separators are dropped and inner ones kept, so a
    joined phrase such as ``"New_York"`` becomes ``"new_york"``. ``split`` returns the word
    stripped of surrounding whitespace. A word with no token gives ``""``.
    """
    check_rule(rule)

    def normalize(word: str) -> str:
        if not isinstance(word, str):
            raise EmbedError(f"a word must be a string, got {type(word).__name__}")
        spans = _token_spans(word, rule)
        if not spans:
            return ""
        toks = tokenize(word, rule)
        if len(toks) != len(spans):  # only for words cut at MAX_TOKEN_BYTES
            return " ".join(toks)
        parts = [toks[0]]
        for (_, end), (start, _), tok in zip(spans, spans[1:], toks[1:]):
            parts.append(word[end:start])
            parts.append(tok)
        return "".join(parts)

    return normalize


def _token_spans(word: str, rule: str) -> list[tuple[int, int]]:
    """Character (start, end) of each token ``tokenize`` finds in ``word``."""
    if rule == "text8":
        is_word = [("a" <= ch <= "z" or "A" <= ch <= "Z") for ch in word]
        apos = [False] * len(word)
        ideo = apos
    elif rule == "split":
        is_word = [not ch.isspace() for ch in word]
        apos = ideo = [False] * len(word)
    else:
        flags = ut.tables()[0] if not word.isascii() else _ascii()[0]
        fl = [int(flags[ord(ch)]) if ord(ch) < len(flags) else 0 for ch in word]
        ideo = [bool(f & ut.IDEO) for f in fl]
        is_word = [bool(f & ut.WORD) and not i for f, i in zip(fl, ideo)]
        apos = [bool(f & ut.APOS) for f in fl]
    spans, k, n = [], 0, len(word)
    while k < n:
        if ideo[k]:
            spans.append((k, k + 1))
            k += 1
        elif is_word[k]:
            start = k
            while k < n and (is_word[k] or (apos[k] and k + 1 < n and is_word[k + 1]
                                            and k > start)):
                k += 1
            spans.append((start, k))
        else:
            k += 1
    return spans
