"""The phrase table on disk: ``phrase<TAB>score`` lines, UTF-8, highest score first.

Scores are written with ``repr`` (the shortest text that reads back as the same float64), so a
loaded table joins exactly what the saved one did. Plain text, never pickle.
"""
from __future__ import annotations

import math
import os

from embed.atomic import atomic_path, cannot_write
from embed.errors import EmbedError


def ordered(phrases: dict[str, float]) -> list[tuple[str, float]]:
    """Highest score first, ties by phrase: one order for the same phrases, whatever the dict's."""
    return sorted(phrases.items(), key=lambda item: (-item[1], item[0]))


def format_table(phrases: dict[str, float]) -> str:
    lines = []
    for phrase, value in ordered(phrases):
        if "\t" in phrase or "\n" in phrase or "\r" in phrase:
            raise EmbedError(f"phrase {phrase!r} holds a tab or line break: "
                             "it cannot be written as a TSV line")
        lines.append(f"{phrase}\t{value!r}\n")
    return "".join(lines)


def save_table(path: str | os.PathLike, phrases: dict[str, float]) -> None:
    text = format_table(phrases)
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as e:
        raise cannot_write(path, e) from None


def load_table(path: str | os.PathLike) -> dict[str, float]:
    """{phrase: score}; EmbedError naming the line for anything that is not such a table."""
    try:
        with open(path, encoding="utf-8", newline="\n") as f:
            text = f.read()
    except FileNotFoundError:
        raise EmbedError(f"phrase table not found: {path}") from None
    except IsADirectoryError:
        raise EmbedError(f"phrase table is a directory: {path}") from None
    except UnicodeDecodeError:
        raise EmbedError(f"{path} is not a phrase table (not UTF-8 text)") from None
    except OSError as e:
        raise EmbedError(f"cannot read phrase table {path}: {e.strerror or e}") from None
    phrases = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        fields = line.split("\t")
        try:
            if len(fields) != 2 or not fields[0]:
                raise ValueError
            value = float(fields[1])
        except ValueError:
            raise EmbedError(f"{path} line {number} is not 'phrase<TAB>score': "
                             f"{line[:60]!r}") from None
        if math.isnan(value):
            raise EmbedError(f"{path} line {number}: the score is not a number")
        phrases[fields[0]] = value
    return phrases
