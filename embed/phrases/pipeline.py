"""A corpus file in, the joined corpus and its phrase table out (``embed phrases``).

The corpus is read once into ids (``read.py``); each pass counts, scores and joins that id
stream in memory, and the last pass's stream is written as text. Output depends only on the
input text and the settings (ids are given in first-seen order, phrases in table order), so it
can be cached under :func:`settings_key`.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embed.atomic import atomic_path, cannot_write
from embed.errors import EmbedError
from embed.phrases.learn import learn
from embed.phrases.read import read_corpus
from embed.phrases.scoring import PhraseSettings
from embed.phrases.table import format_table
from embed.phrases.write import write_sentences

TABLE_SUFFIX = ".phrases.tsv"
_VERSION = 1  # bump when the output for the same input and settings changes


@dataclass
class PhrasedCorpus:
    """A corpus after its passes: ``words`` (id -> token), ``ids`` int32, ``ends`` int64
    (sentence end offsets), and the phrases each pass found ({phrase: score} per pass)."""

    words: list[str]
    ids: np.ndarray
    ends: np.ndarray
    passes: list[dict[str, float]] = field(default_factory=list)
    words_read: int = 0

    def table_text(self) -> str:
        """The phrase table: each pass's new phrases, highest score first, pass 1 first."""
        seen: set[str] = set()
        parts = []
        for found in self.passes:
            new = {p: v for p, v in found.items() if p not in seen}
            seen.update(new)
            parts.append(format_table(new))
        return "".join(parts)


def table_path(out: str | os.PathLike) -> Path:
    """Where the phrase table of output corpus ``out`` goes: ``<out>.phrases.tsv``."""
    out = Path(out)
    return out.with_name(out.name + TABLE_SUFFIX)


def settings_key(settings: PhraseSettings, passes: int, tokens: str = "words") -> str:
    """A short hash naming these settings, for caching a phrased corpus."""
    text = (f"v{_VERSION} passes={passes} min_count={settings.min_count} "
            f"threshold={settings.threshold!r} scoring={settings.scoring} "
            f"delimiter={settings.delimiter!r} tokens={tokens}")
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _check(settings: PhraseSettings, passes: int) -> None:
    if isinstance(passes, bool) or not isinstance(passes, (int, np.integer)) or passes < 1:
        raise EmbedError(f"passes must be a whole number of at least 1, got {passes!r}")
    if any(c.isspace() for c in settings.delimiter):
        raise EmbedError(f"the delimiter of a corpus file cannot hold white space, "
                         f"got {settings.delimiter!r}")


def phrase_corpus(source, *, passes: int = 2, settings: PhraseSettings = PhraseSettings(),
                  tokens: str = "words", progress: bool = True) -> PhrasedCorpus:
    """Read ``source`` (file, directory, .gz/.bz2, or "-" for stdin) with the ``tokens`` rule
    and run the passes."""
    _check(settings, passes)
    bar = None
    if progress:
        from tqdm import tqdm

        from embed.data.corpus import input_bytes

        bar = tqdm(total=input_bytes(source), unit="B", unit_scale=True, unit_divisor=1024,
                   desc="reading corpus", leave=False, dynamic_ncols=True)
    try:
        corpus = read_corpus(source, tokens=tokens,
                             progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    words, index, ids, ends = corpus.words, corpus.index, corpus.ids, corpus.ends
    del corpus  # each pass's input is dropped once the next stream exists
    words_read, found_by_pass = len(ids), []
    for _ in range(passes):
        found = learn(words, index, ids, ends, settings)
        ids, ends = found.joiner.join_ids(ids, ends)
        words, index = found.joiner.out_words, found.joiner.new_index
        found_by_pass.append(found.phrases)
    return PhrasedCorpus(words, ids, ends, found_by_pass, words_read)


def apply_phrases_to_file(source, out: str | os.PathLike, *, passes: int = 2,
                          min_count: int = 5, threshold: float = 100.0,
                          scoring: str = "default", delimiter: str = "_",
                          tokens: str = "words", progress: bool = True) -> PhrasedCorpus:
    """Write ``source`` with its phrases joined to ``out`` (one sentence a line) and the
    phrase table to :func:`table_path` ``(out)``, both atomically; return the result."""
    settings = PhraseSettings(min_count, threshold, scoring, delimiter)
    _check(settings, passes)
    out = Path(out)
    table = table_path(out)
    for final in (out, table):
        if final.is_dir():
            raise EmbedError(f"cannot write {final}: it is a directory")
    with atomic_path(out) as tmp_out, atomic_path(table) as tmp_table:
        # Open both now: an unwritable output fails before the work, not after it.
        with _open_or_fail(tmp_out, out, "wb") as f, _open_or_fail(tmp_table, table, "w") as t:
            result = phrase_corpus(source, passes=passes, settings=settings, tokens=tokens,
                                   progress=progress)
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=len(result.ends), unit=" sentences", unit_scale=True,
                           desc="writing", leave=False, dynamic_ncols=True)
            try:
                write_sentences(f, result.words, result.ids, result.ends,
                                progress=bar.update if bar is not None else None)
                t.write(result.table_text())
            except OSError as e:
                raise cannot_write(out, e) from None
            finally:
                if bar is not None:
                    bar.close()
    return result


def _open_or_fail(tmp: Path, final: Path, mode: str):
    try:
        if "b" in mode:
            return open(tmp, mode)
        return open(tmp, mode, encoding="utf-8", newline="\n")
    except OSError as e:
        raise cannot_write(final, e) from None
