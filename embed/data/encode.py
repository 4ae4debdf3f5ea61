"""Count a corpus, build its Vocabulary and encode it to an int32 id stream, cached on disk.

One pass over the text: the tokenizer kernel normalises each block of raw bytes, a numba hash
table gives every word a provisional id in first-seen order and counts it (no Python string per
word), the Vocabulary is ranked from those counts, and a lookup table maps provisional ids to
final ids (0 = UNK) in place. Peak memory is one int32 copy of the stream (text8: 17 M words,
68 MB) plus the unique words, on top of the interpreter with numpy and numba (~100 MB).

Path sources are cached (see :mod:`embed.data.cache`): a later call with the same content and
settings memory-maps the ids instead of reading the text.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from embed.data import cache
from embed.data.corpus import STDIN, CorpusReader, corpus_files, input_bytes
from embed.data.tokens import DEFAULT, check_rule
from embed.data.vocab import UNK, Vocabulary, rank_words
from embed.data.wordtable import WordTable
from embed.errors import EmbedError

SENTENCES = ("lines", "chunks")


@dataclass(frozen=True)
class EncodedCorpus:
    """A corpus as the trainer reads it.

    ``ids``: int32 [n] word ids, 0 = UNK (memory-mapped, read-only, for cached path sources).
    ``ends``: int64 [k] sentence end offsets into ``ids``, strictly increasing, the last equal
    to n (``sentences="lines"``: line ends, lines cut every 10,000 words); None for
    ``"chunks"`` (no boundaries: fixed 10,000-word chunks). ``tokens``/``sentences``: the rules
    used. ``source``: the corpus path, ``"-"`` for stdin, ``"<iterable>"`` for token lists.
    ``fingerprint``: SHA-256 (hex) of the corpus content (of the encoded tokens for an
    iterable), for noticing a changed corpus. ``cut_tokens``: tokens cut at MAX_TOKEN_BYTES.
    """
    vocab: Vocabulary
    ids: np.ndarray
    ends: np.ndarray | None
    tokens: str
    sentences: str
    source: str
    fingerprint: str
    cut_tokens: int = 0

    def __len__(self) -> int:
        return len(self.ids)


def resolve_corpus(source: str | os.PathLike | None, data_dir: str | os.PathLike | None = None,
                   *, progress: bool = True) -> Path | str:
    """Turn a corpus argument into a path (or ``"-"`` for stdin).

    ``None`` or ``"text8"`` (when no such local path exists) means the text8 file in the data
    directory, downloaded on first use. Anything else must be an existing file or directory.
    """
    if source is None or (str(source) == "text8" and not Path("text8").exists()):
        from embed.data.download import ensure_text8

        return ensure_text8(data_dir, progress=progress)
    if isinstance(source, str) and source == STDIN:
        return STDIN
    corpus_files(source)  # raises EmbedError when empty, missing, an empty directory, ...
    return Path(source)


@njit(cache=True, nogil=True)
def _remap(ids, lut):
    """``ids[i] = lut[ids[i]]`` in place (numpy's take would buffer an int64 copy)."""
    for i in range(ids.shape[0]):
        ids[i] = lut[ids[i]]


def _vocab_lut(table: WordTable, vocab: Vocabulary) -> np.ndarray:
    """Enter ``vocab``'s words in ``table``; return provisional id -> vocabulary id, whose last
    slot (indexed by a miss, -1) is UNK. Words with whitespace can never be met in text."""
    usable = [w for w in vocab.words[1:] if w.split() == [w]]
    known = table.ids(" ".join(usable).encode("utf-8")) if usable else np.zeros(0, np.int32)
    lut = np.zeros(len(table) + 1, dtype=np.int32)
    lut[known] = [vocab.index[w] for w in usable]
    return lut


def count_and_encode(source, *, vocab_size: int = 50_000, min_count: int = 1,
                     vocab: Vocabulary | None = None, tokens: str = DEFAULT,
                     progress: bool = True):
    """Read ``source`` once; return (Vocabulary, int32 ids, int64 sentence ends, reader).

    No caching. With ``vocab`` given, words are encoded with it (unknown words -> 0) and it is
    returned as is. ``reader`` (a :class:`CorpusReader`) tells the digests, fingerprint and
    cut tokens.
    """
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=input_bytes(source), unit="B", unit_scale=True, unit_divisor=1024,
                   desc="reading corpus", leave=False, dynamic_ncols=True)
    reader = CorpusReader(source, tokens)
    table = WordTable()
    lut = _vocab_lut(table, vocab) if vocab is not None else None
    # One growing id buffer rather than a list of per-block arrays: per-block buffers fragment
    # the heap and roughly double the peak memory. Untouched pages of np.empty cost no RAM, so
    # a generous first guess (a word takes at least 2 bytes) is free.
    ids = np.empty((input_bytes(source) or 0) // 2 + (1 << 20), dtype=np.int32)
    n = 0
    blocks = reader.blocks(progress=bar.update if bar is not None else None)
    try:
        for block in blocks:
            if n + len(block) // 2 + 1 > len(ids):  # compressed or stdin input outgrew the guess
                grown = np.empty(max(2 * len(ids), n + len(block)), dtype=np.int32)
                grown[:n] = ids[:n]
                ids = grown
            n = table.encode_into(block, ids, n, insert=vocab is None)
    finally:
        blocks.close()
        if bar is not None:
            bar.close()
    table.end_sentence(n)
    ids, ends = ids[:n], table.sentence_ends().copy()
    if vocab is not None:
        _remap(ids, lut)  # -1 (a miss) indexes the last slot, which is UNK
        return vocab, ids, ends, reader

    words = len(table)
    counts = table.counts[:words].copy()
    literal_unk = table.ids(UNK.encode(), insert=False)  # the text's own "UNK" is not a word
    unk_seen = int(counts[literal_unk[0]]) if literal_unk[0] >= 0 else 0
    if unk_seen:
        counts[literal_unk[0]] = 0
    vocab, order = rank_words(table.words, counts, vocab_size, min_count, tokens=tokens)
    vocab.counts[0] += unk_seen
    final = np.zeros(words + 1, dtype=np.int32)  # provisional id -> vocabulary id, 0 = UNK
    final[order] = np.arange(1, len(order) + 1, dtype=np.int32)
    _remap(ids, final)
    return vocab, ids, ends, reader


def _check(vocab_size, min_count, vocab, tokens, sentences, max_words) -> str:
    if vocab_size < 2:
        raise EmbedError(f"vocabulary size must be at least 2 (UNK and one word), got {vocab_size}")
    if min_count < 1:
        raise EmbedError(f"min_count must be at least 1, got {min_count}")
    if sentences not in SENTENCES:
        raise EmbedError(f"unknown sentences rule {sentences!r}: choose lines or chunks")
    if max_words is not None and (isinstance(max_words, bool) or max_words < 1):
        raise EmbedError(f"max_words must be a positive integer, got {max_words!r}")
    if vocab is None:
        return check_rule(tokens or DEFAULT)
    if tokens is not None and check_rule(tokens) != vocab.tokens:
        raise EmbedError(f"the vocabulary was made with tokens={vocab.tokens}, "
                         f"not tokens={tokens}")
    return vocab.tokens


def encode_corpus(source=None, *, vocab_size: int = 50_000, min_count: int = 1,
                  vocab: Vocabulary | None = None, tokens: str | None = None,
                  sentences: str = "lines", data_dir=None, progress: bool = True,
                  max_words: int | None = None) -> EncodedCorpus:
    """Read, count and encode a corpus (see :class:`EncodedCorpus`).

    ``source``: None or ``"text8"`` (downloaded on first use into the data directory), a path
    to a file or directory, or ``"-"`` for stdin. ``vocab_size`` counts UNK (50,000 = UNK +
    49,999 words). ``tokens``: ``"words"`` (default), ``"text8"`` or ``"split"``
    (:mod:`embed.data.tokens`). ``sentences``: ``"lines"`` (a line end ends a sentence) or
    ``"chunks"`` (no boundaries). With ``vocab`` given the text is encoded with that vocabulary
    and its rule (for training on new text with an existing model). ``max_words``: keep only
    the first that many words (the vocabulary is still the whole corpus's, as ``embed tune``
    trials and ``embed train --max-words`` use it; the last sentence is cut there). Path
    sources are cached, whole.
    """
    tokens = _check(vocab_size, min_count, vocab, tokens, sentences, max_words)
    path = resolve_corpus(source, data_dir, progress=progress)

    def result(voc, ids, ends, fingerprint, cut):
        if max_words is not None and max_words < len(ids):
            ids = ids[:max_words]
            ends = np.append(ends[ends < max_words], np.int64(max_words))
        return EncodedCorpus(voc, ids, ends if sentences == "lines" else None, tokens,
                             sentences, str(path), fingerprint, int(cut))

    if path == STDIN:
        voc, ids, ends, reader = count_and_encode(
            STDIN, vocab_size=vocab_size, min_count=min_count, vocab=vocab, tokens=tokens,
            progress=progress)
        return result(voc, ids, ends, reader.fingerprint, reader.cut_tokens)

    key = cache.settings_key(tokens, vocab_size, min_count, vocab)
    files = cache.cache_files(path, key, data_dir)
    hit = cache.load(files, path, tokens)
    if hit is not None:
        stored, ids, ends, m = hit
        return result(vocab if vocab is not None else stored, ids, ends, m["fingerprint"],
                      m["cut_tokens"])

    voc, ids, ends, reader = count_and_encode(
        path, vocab_size=vocab_size, min_count=min_count, vocab=vocab, tokens=tokens,
        progress=progress)
    # The vocabulary file stores UNK's count, so for a given vocabulary its counts are this
    # corpus's counts under that vocabulary (what the cache check compares with the id count).
    stored = voc if vocab is None else _recount(vocab, ids)
    try:
        cache.save(files, stored, ids, ends, reader.digests, reader.fingerprint,
                   reader.cut_tokens)
        cache.drop_stale(files, path, reader.fingerprint)
        ids = np.load(files.ids, mmap_mode="r")
        ends = np.load(files.ends, mmap_mode="r")
    except (OSError, EmbedError) as e:
        # Caching is an optimisation: a full disk or read-only data dir must not stop the work.
        warnings.warn(f"could not cache encoded corpus at {files.ids}: {e}", stacklevel=2)
    return result(voc, ids, ends, reader.fingerprint, reader.cut_tokens)


def load_corpus(source=None, *, vocab_size: int = 50_000, min_count: int = 1, data_dir=None,
                vocab: Vocabulary | None = None, progress: bool = True,
                tokens: str | None = None, max_words: int | None = None,
                ) -> tuple[Vocabulary, np.ndarray]:
    """(Vocabulary, int32 ids; 0 = UNK): :func:`encode_corpus` without the sentence ends."""
    c = encode_corpus(source, vocab_size=vocab_size, min_count=min_count, vocab=vocab,
                      tokens=tokens, sentences="chunks", data_dir=data_dir, progress=progress,
                      max_words=max_words)
    return c.vocab, c.ids


def _recount(vocab: Vocabulary, ids: np.ndarray) -> Vocabulary:
    counts = np.bincount(ids, minlength=len(vocab)).astype(np.int64)
    return Vocabulary(vocab.words, counts, tokens=vocab.tokens)
