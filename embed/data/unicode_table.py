"""Per-code-point facts the `words` tokenizer needs, built once from Python's own Unicode data.

Two arrays over all 0x110000 code points, so the numba tokenizer classifies and lowercases a
character with one load each:

- ``flags`` uint8: WORD (a letter, mark or number: categories L*, M*, N*), APOS (``'`` and
  ``’``), IDEO (a CJK ideograph: a token on its own), SPACE (``str.isspace``), and, for word
  characters and apostrophes, CASED and IGNORABLE (Unicode's Cased and Case_Ignorable, which
  decide Greek final sigma exactly as ``str.lower`` does);
- ``lower`` int32: the code point ``str.lower`` gives a word character (itself otherwise); a
  negative value ``-k - 1`` points at row ``k`` of ``expand`` for the few characters that lower
  to several code points (U+0130 -> ``i`` + U+0307).

Building takes a few tenths of a second, so the arrays are saved as an .npz keyed by the Python
and Unicode versions (beside this module's numba cache, else in ``~/.cache/embed``) and loaded
in milliseconds afterwards. Python's ``str.lower`` is the reference: tests compare every word
character against it.
"""
from __future__ import annotations

import os
import sys
import unicodedata
from pathlib import Path

import numpy as np

WORD, APOS, IDEO, SPACE, CASED, IGNORABLE = 1, 2, 4, 8, 16, 32
N_CODE_POINTS = 0x110000
APOSTROPHES = ("'", "\u2019")
_VERSION = 1  # bump when the meaning of a flag changes

_tables: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _build(n: int = N_CODE_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tables for code points below ``n``."""
    chars = [chr(c) for c in range(n)]
    cats = np.array([c[0] for c in map(unicodedata.category, chars)])
    flags = np.zeros(n, dtype=np.uint8)
    word = np.flatnonzero((cats == "L") | (cats == "M") | (cats == "N"))
    flags[word] |= WORD
    apostrophes = [ord(a) for a in APOSTROPHES if ord(a) < n]
    flags[apostrophes] |= APOS
    flags[[c for c in range(n) if chars[c].isspace()]] |= SPACE
    for c in word:
        name = unicodedata.name(chars[c], "")
        if name.startswith("CJK ") and "IDEOGRAPH" in name:
            flags[c] |= IDEO
    lower = np.arange(n, dtype=np.int32)
    expand = []
    for c in [*word.tolist(), *apostrophes]:
        ch = chars[c]
        low = ch.lower()
        if len(low) == 1:
            lower[c] = ord(low)
        else:
            lower[c] = -len(expand) - 1
            expand.append([ord(x) for x in low] + [-1] * (3 - len(low)))
        cased = ch.islower() or ch.isupper() or ch.istitle()
        # Case_Ignorable is not exposed by Python, so ask str.lower itself: a capital sigma
        # after "A" + ch is final iff ch is ignorable or cased; after ch alone, iff ch is cased
        # and not ignorable.
        after_a = ("A" + ch + "\u03a3").lower()[-1] == "\u03c2"
        alone = (ch + "\u03a3").lower()[-1] == "\u03c2"
        ignorable = (after_a and not cased) or (cased and not alone)
        flags[c] |= (CASED if cased else 0) | (IGNORABLE if ignorable else 0)
    expand_arr = np.array(expand or [[-1, -1, -1]], dtype=np.int32).reshape(-1, 3)
    return flags, lower, expand_arr


def _cache_file() -> list[Path]:
    name = (f"unicode-words-py{sys.version_info[0]}{sys.version_info[1]}-"
            f"{unicodedata.unidata_version}-v{_VERSION}.npz")
    here = Path(__file__).resolve().parent / "__pycache__"
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "embed"
    return [here / name, home / name]


def _load(path: Path):
    try:
        with np.load(path, allow_pickle=False) as z:
            flags, lower, expand = z["flags"], z["lower"], z["expand"]
    except (OSError, ValueError, KeyError, EOFError):
        return None
    if (flags.shape != (N_CODE_POINTS,) or flags.dtype != np.uint8 or lower.shape != flags.shape
            or lower.dtype != np.int32 or expand.ndim != 2 or expand.shape[1] != 3
            or expand.dtype != np.int32 or lower.min() < -len(expand)):
        return None
    return flags, lower, expand


def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flags, lower, expand) for every code point; built on first use, then cached on disk."""
    global _tables
    if _tables is not None:
        return _tables
    candidates = _cache_file()
    for path in candidates:
        if path.is_file() and (got := _load(path)) is not None:
            _tables = got
            return got
    _tables = _build()
    from embed.atomic import atomic_path

    for path in candidates:  # a cache is an optimisation: a read-only place is no error
        try:
            with atomic_path(path, suffix=".npz") as tmp:
                np.savez(tmp, flags=_tables[0], lower=_tables[1], expand=_tables[2])
            break
        except Exception:  # noqa: BLE001 - EmbedError or OSError alike: try the next place
            continue
    return _tables


def ascii_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first 128 entries of :func:`tables`, built alone in a millisecond: enough for
    pure-ASCII text, which never indexes past 127."""
    return _build(128)
