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

:class:`Normalizer` (numba kernels in :mod:`embed.data.tokenize_kernel`) turns raw bytes into
normalised UTF-8 words separated by spaces, with ``\\n`` where a line ended; :func:`normalizer`
applies a rule to one query word.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from embed.data import unicode_table as ut
from embed.data.tokenize_kernel import KERNELS, ascii_rule_tables, longest_run
from embed.data.vocab import RULES
from embed.errors import EmbedError

DEFAULT = "words"
MAX_TOKEN_BYTES = 100
_RULE_CODE = {"words": 0, "text8": 1, "split": 2}


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise EmbedError(f"unknown tokens rule {rule!r}: choose one of {', '.join(RULES)}")
    return rule


_ASCII = None


def _ascii():
    global _ASCII
    if _ASCII is None:
        _ASCII = ut.ascii_tables()
    return _ASCII


_TEXT8_BYTES = b"abcdefghijklmnopqrstuvwxyz \n"


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
            if cut > 0 and longest_run(np.frombuffer(data, dtype=np.uint8)[:cut]) <= self.cap:
                return data[:cut] + (b" " if final else b""), cut
        if not self.unicode and self.code != 1 and not data.isascii():
            self.tables = ut.tables()
            self.unicode = True
        buf = np.frombuffer(data, dtype=np.uint8)
        out = np.empty(4 * len(data) + 8, dtype=np.uint8)  # an invalid byte -> 3
        used, o = KERNELS[self.code](buf, final, self.lines, out, self.cps, *self.ascii,
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
