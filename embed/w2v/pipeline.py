"""From a corpus on disk to a trained model directory, and back to training it more.

What `embed train` does, as library calls: read and encode the corpus (cached; phrases joined
first with ``phrases=N``), train, save. ``resume_corpus`` finds the text a saved model should
continue on: its own corpus, read as the first time (the cached encoding if the vocabulary
still matches), or new text encoded with the model's vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embed.errors import EmbedError
from embed.w2v.model import Word2VecModel, load_model
from embed.w2v.settings import ngram_settings


@dataclass
class Corpus:
    """An encoded corpus ready to train on, and how it was read (recorded in settings.json)."""

    ids: np.ndarray
    ends: np.ndarray | None
    source: str          # an absolute path, "text8" or "-"
    vocab: object = None
    reading: dict | None = None   # tokens, sentences, phrases: what a resume reads it with


def corpus_label(source) -> str:
    """How settings.json names a corpus: its absolute path if it is a file or directory."""
    return str(Path(source).resolve()) if Path(str(source)).exists() else str(source)


def read_corpus(source, *, vocab_size: int = 50_000, min_count: int = 1, vocab=None,
                tokens: str | None = None, sentences: str = "lines", phrases: int = 0,
                data_dir=None, progress: bool = True, max_words: int | None = None) -> Corpus:
    """Encode ``source`` (None/"text8", a path, "-") with a new vocabulary or ``vocab``.

    ``tokens`` / ``sentences``: the data layer's rules (``embed.data``); ``phrases``: join
    collocations in that many passes first (``embed.phrases``), cached like the encoding.
    """
    from embed.data.encode import encode_corpus, resolve_corpus

    if phrases:
        from embed.phrases.cached import phrased_file

        rule = tokens or (vocab.tokens if vocab is not None else "words")
        path = resolve_corpus(source, data_dir, progress=progress)
        text = phrased_file(path, passes=phrases, tokens=rule, data_dir=data_dir,
                            progress=progress)
        # the joined text holds each token as the rule made it: read it back as it is
        got = encode_corpus(text, vocab_size=vocab_size, min_count=min_count, vocab=vocab,
                            tokens=None if vocab is not None else "split", sentences=sentences,
                            data_dir=data_dir, progress=progress, max_words=max_words)
        tokens = rule
    else:
        got = encode_corpus(source, vocab_size=vocab_size, min_count=min_count, vocab=vocab,
                            tokens=tokens, sentences=sentences, data_dir=data_dir,
                            progress=progress, max_words=max_words)
        tokens = got.tokens
    reading = {"tokens": tokens, "sentences": sentences, "phrases": phrases}
    return Corpus(got.ids, got.ends, corpus_label(source if source is not None else "text8"),
                  got.vocab, reading)


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
    reading = dict(sentences=settings.get("sentences", "chunks"),
                   phrases=int(settings.get("phrases", 0)), data_dir=data_dir,
                   progress=progress)
    max_words = settings.get("max_words") if corpus is None else None
    if corpus is None and "vocab_size" in settings:
        # the original corpus: its cached encoding, if the vocabulary still matches
        got = read_corpus(source, vocab_size=int(settings["vocab_size"]),
                          min_count=int(settings.get("min_count", 1)),
                          tokens=settings.get("tokens", model.vocab.tokens),
                          max_words=max_words, **reading)
        if got.vocab == model.vocab:
            return got
    if reading["phrases"]:
        # the vocabulary holds phrase tokens: new text is joined by the same passes first
        return read_corpus(source, vocab=model.vocab, max_words=max_words,
                           tokens=settings.get("tokens"), **reading)
    return read_corpus(source, vocab=model.vocab, max_words=max_words, **reading)


def load_for_resume(path) -> Word2VecModel:
    """The model directory to continue (checked against its checkpoint manifest)."""
    return load_model(path, verify=True)


# gensim's keyword names for the same settings (its users type them)
_GENSIM_NAMES = {"vector_size": "dim", "workers": "threads", "min_n": "minn", "max_n": "maxn"}


def train_corpus(corpus=None, *, vocab_size: int = 50_000, min_count: int = 1,
                 tokens: str | None = None, sentences: str = "lines", phrases: int = 0,
                 max_words: int | None = None, data_dir=None, out_dir=None,
                 threads: int | None = None, progress: bool = False, subwords: bool = False,
                 **settings):
    """Train on ``corpus`` and return the model (see ``embed.train``)."""
    from collections.abc import Iterable

    from embed.w2v.train import train

    for gensim_name, ours in _GENSIM_NAMES.items():
        if gensim_name in settings:
            if ours in settings or (ours == "threads" and threads is not None):
                raise EmbedError(f"give {ours} or gensim's {gensim_name}, not both")
            value = settings.pop(gensim_name)
            if ours == "threads":
                threads = value
            else:
                settings[ours] = value
    settings.update(ngram_settings(subwords, *(settings.pop(k, None)
                                               for k in ("minn", "maxn", "bucket"))))
    if isinstance(corpus, (str, bytes)) or corpus is None or hasattr(corpus, "__fspath__"):
        text = read_corpus(corpus, vocab_size=vocab_size, min_count=min_count, tokens=tokens,
                           sentences=sentences, phrases=phrases, data_dir=data_dir,
                           progress=progress, max_words=max_words)
        ids, ends, vocab, extra = text.ids, text.ends, text.vocab, {
            "corpus": text.source, "vocab_size": vocab_size, "min_count": min_count,
            **text.reading}
    elif isinstance(corpus, Iterable):
        from embed.data.sentences import encode_sentences

        if tokens is not None or phrases or sentences != "lines" or max_words is not None:
            raise EmbedError("token lists are taken as they are: tokens, sentences, phrases "
                             "and max_words apply to a corpus read from files")
        got = encode_sentences(corpus, vocab_size=vocab_size, min_count=min_count)
        ids, ends, vocab = got.ids, got.ends, got.vocab
        extra = {"corpus": "<iterable>", "vocab_size": vocab_size, "min_count": min_count,
                 "tokens": "split", "sentences": "lines", "phrases": 0}
    else:
        raise EmbedError(f"corpus must be a path, 'text8', '-' or an iterable of token lists, "
                         f"got {type(corpus).__name__}")
    return train(ids, vocab, ends=ends, threads=threads, progress=progress, out_dir=out_dir,
                 extra_settings=extra, **settings)
