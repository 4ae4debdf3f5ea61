"""``Phrases``: learn collocations from token lists and join them, as gensim's ``Phrases``."""
from __future__ import annotations

import os
from array import array
from collections import defaultdict
from itertools import islice
from typing import Iterable, Iterator

import numpy as np

from embed.errors import EmbedError
from embed.phrases.joiner import Joiner, join_greedy
from embed.phrases.learn import learn
from embed.phrases.scoring import PhraseSettings, is_phrase
from embed.phrases.table import load_table, save_table

_BATCH = 10_000  # sentences joined per numba call by transform


class Phrases:
    """Detect phrases (``new york`` -> ``new_york``) by bigram statistics.

    ``fit`` reads an iterable of token lists once (a generator is fine) and finds the same
    phrases, with the same scores, as gensim 4's ``Phrases(sentences, min_count, threshold,
    scoring=..., delimiter=..., connector_words=frozenset())`` when gensim prunes nothing;
    ``transform`` joins them exactly as gensim's ``phrases[sentences]`` does. ``threshold``:
    a pair is a phrase when its score is above it (default scoring: > 0; ``"npmi"``: in
    [-1, 1]). Run it twice (on the first run's output) for phrases of up to four words.
    """

    def __init__(self, min_count: int = 5, threshold: float = 100.0, scoring: str = "default",
                 delimiter: str = "_"):
        self.settings = PhraseSettings(min_count, threshold, scoring, delimiter)
        self._joiner: Joiner | None = None
        self._phrases: dict[str, float] | None = None
        self.len_vocab = 0
        self.corpus_word_count = 0

    def __repr__(self) -> str:
        s = self.settings
        found = "unfitted" if self._phrases is None else f"{len(self._phrases)} phrases"
        return (f"Phrases(min_count={s.min_count}, threshold={s.threshold!r}, "
                f"scoring={s.scoring!r}, delimiter={s.delimiter!r}) <{found}>")

    # -- learning ---------------------------------------------------------------------------
    def fit(self, sentences: Iterable[list[str]]) -> "Phrases":
        """Count ``sentences`` (an iterable of token lists, read once) and find the phrases."""
        words, index, ids, ends = _encode_all(sentences)
        self._fit_ids(words, index, ids, ends)
        return self

    def _fit_ids(self, words, index, ids, ends) -> None:
        found = learn(words, index, ids, ends, self.settings)
        self._joiner, self._phrases = found.joiner, found.phrases
        self.len_vocab, self.corpus_word_count = found.len_vocab, found.n_words

    def fit_transform(self, sentences: Iterable[list[str]]) -> list[list[str]]:
        """Fit on ``sentences`` and return them joined (read once: a generator is fine)."""
        words, index, ids, ends = _encode_all(sentences)
        self._fit_ids(words, index, ids, ends)
        out_ids, out_ends = self._joiner.join_ids(ids, ends)
        return _decode(out_ids, out_ends, self._joiner.out_words)

    # -- joining ----------------------------------------------------------------------------
    def transform(self, sentences: Iterable[list[str]]) -> Iterator[list[str]]:
        """Yield each sentence with its phrases joined (streamed, in batches of sentences)."""
        joiner = self._fitted()
        it = iter(sentences)
        while batch := list(islice(it, _BATCH)):
            yield from self._join_batch(joiner, batch)

    def _join_batch(self, joiner: Joiner, batch: list[list[str]]) -> list[list[str]]:
        get = joiner.index.get
        flat, ends = [], []
        for sentence in batch:
            _check_sentence(sentence)
            flat.extend(sentence)
            ends.append(len(flat))
        ids = np.fromiter((get(t, -1) for t in flat), dtype=np.int64, count=len(flat))
        unknown = np.flatnonzero(ids < 0)
        if len(unknown) and joiner.string_pairs:
            # rare: tokens unknown to the counts that still spell merged keys (keys.py)
            return [join_greedy(list(s), joiner.phrase_of) for s in batch]
        words = joiner.out_words
        if len(unknown):  # give each unknown occurrence its own id past the known ones
            ids[unknown] = len(words) + np.arange(len(unknown))
            words = words + [flat[i] for i in unknown.tolist()]
        out_ids, out_ends = joiner.join_ids(ids.astype(np.int32), np.array(ends, dtype=np.int64))
        return _decode(out_ids, out_ends, words)

    # -- the phrase table -------------------------------------------------------------------
    @property
    def phrases(self) -> dict[str, float]:
        """{phrase: score} for every phrase found (gensim's ``export_phrases()``)."""
        self._fitted()
        return dict(self._phrases)

    def export_phrases(self) -> dict[str, float]:
        return self.phrases

    def save(self, path: str | os.PathLike) -> None:
        """Write the phrase table as ``phrase<TAB>score`` lines (see :meth:`load`)."""
        self._fitted()
        save_table(path, self._phrases)

    @classmethod
    def load(cls, path: str | os.PathLike, *, delimiter: str = "_",
             threshold: float | None = None) -> "Phrases":
        """A model that joins the pairs listed in a saved table, as gensim's ``FrozenPhrases``.

        A pair joins when its delimiter-joined string is in the table (scored above
        ``threshold``, if given). ``delimiter`` must be the one the table was made with. The
        table holds scores, not counts: such a model cannot be refitted incrementally.
        """
        phrases = load_table(path)
        if threshold is not None:
            try:
                threshold = float(threshold)
            except (TypeError, ValueError):
                raise EmbedError(f"threshold must be a number, got {threshold!r}") from None
            phrases = {p: v for p, v in phrases.items() if is_phrase(v, threshold)}
        model = cls(delimiter=delimiter)
        model._phrases = phrases
        model._joiner = Joiner.from_phrases(phrases, delimiter)
        return model

    def _fitted(self) -> Joiner:
        if self._joiner is None:
            raise EmbedError("this Phrases model is not fitted: call fit() or Phrases.load()")
        return self._joiner


def _check_sentence(sentence) -> None:
    if isinstance(sentence, (str, bytes)):
        raise EmbedError("sentences must be lists of tokens, got a string "
                         "(split it into words first)")


def _encode_all(sentences) -> tuple[list[str], dict[str, int], np.ndarray, np.ndarray]:
    """(words, index, int32 ids, int64 sentence ends) of an iterable of token lists."""
    index: defaultdict[str, int] = defaultdict()
    index.default_factory = index.__len__  # a new token gets the next id, in C
    ids, ends = array("i"), array("q")
    try:
        for sentence in sentences:
            _check_sentence(sentence)
            ids.extend(map(index.__getitem__, sentence))
            ends.append(len(ids))
    except TypeError as e:
        raise EmbedError(f"sentences must be an iterable of token lists: {e}") from None
    words = list(index)
    for token in words:
        if not isinstance(token, str):
            raise EmbedError(f"tokens must be strings, got {token!r}")
        if not token:
            raise EmbedError("tokens must not be empty strings")
    return words, dict(index), np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int64)


def _decode(ids: np.ndarray, ends: np.ndarray, words: list[str]) -> list[list[str]]:
    """Token lists, one per sentence (empty ones included), from ids and sentence ends."""
    tokens = [words[i] for i in ids.tolist()]
    starts = [0] + ends.tolist()
    return [tokens[a:b] for a, b in zip(starts, starts[1:])]
