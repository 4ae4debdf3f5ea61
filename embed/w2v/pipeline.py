"""From a corpus on disk to a trained model directory, and back to training it more.

What `embed train` does, as library calls: read and encode the corpus (cached), train, save.
``resume_corpus`` finds the text a saved model should continue on: its own corpus (the cached
encoding if the vocabulary still matches) or new text encoded with the model's vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embed.errors import EmbedError
from embed.w2v.model import Word2VecModel, load_model


@dataclass
class Corpus:
    """An encoded corpus ready to train on."""

    ids: np.ndarray
    ends: np.ndarray | None
    source: str          # what settings.json records: an absolute path, "text8" or "-"
    vocab: object = None


def corpus_label(source) -> str:
    """How settings.json names a corpus: its absolute path if it is a file or directory."""
    return str(Path(source).resolve()) if Path(str(source)).exists() else str(source)


def _limit(ids, ends, max_words: int | None):
    """The first ``max_words`` words and the sentence ends inside them."""
    if max_words is None or max_words >= len(ids):
        return ids, ends
    ids = ids[:max_words]
    if ends is not None:
        ends = np.append(ends[ends < max_words], np.int64(max_words))
    return ids, ends


def read_corpus(source, *, vocab_size: int = 50_000, min_count: int = 1, vocab=None,
                data_dir=None, progress: bool = True, max_words: int | None = None) -> Corpus:
    """Encode ``source`` (None/"text8", a path, "-") with a new vocabulary or ``vocab``."""
    from embed.data.encode import load_corpus

    voc, ids = load_corpus(source, vocab_size=vocab_size, min_count=min_count, vocab=vocab,
                           data_dir=data_dir, progress=progress)
    ids, ends = _limit(ids, None, max_words)
    return Corpus(ids, ends, corpus_label(source if source is not None else "text8"), voc)


def resume_corpus(model: Word2VecModel, where, corpus=None, *, data_dir=None,
                  progress: bool = True) -> Corpus:
    """The text to continue ``model`` on: ``corpus`` (new text, online learning) or, if None,
    the corpus recorded in its settings, read as it was the first time."""
    source = corpus if corpus is not None else model.settings.get("corpus")
    if source is None:
        raise EmbedError(f"{where} does not say which corpus it was trained on; give it with "
                         "--corpus")
    if corpus is None and str(source) == "-":
        raise EmbedError(f"{where} was trained on standard input; give the text again with "
                         "--corpus - (or a file)")
    settings = model.settings
    max_words = settings.get("max_words") if corpus is None else None
    if corpus is None and "vocab_size" in settings:
        # the original corpus: its cached encoding, if the vocabulary still matches
        got = read_corpus(source, vocab_size=int(settings["vocab_size"]),
                          min_count=int(settings.get("min_count", 1)), data_dir=data_dir,
                          progress=progress, max_words=max_words)
        if got.vocab == model.vocab:
            return got
    return read_corpus(source, vocab=model.vocab, data_dir=data_dir, progress=progress,
                       max_words=max_words)


def load_for_resume(path) -> Word2VecModel:
    """The model directory to continue (checked against its checkpoint manifest)."""
    return load_model(path, verify=True)
