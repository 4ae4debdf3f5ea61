"""Phrases: join frequent collocations (``new york`` -> ``new_york``) as word2phrase and gensim do.

- :class:`Phrases` (``model.py``): fit / transform on token lists, gensim's results.
- :func:`apply_phrases_to_file` (``pipeline.py``): a corpus file in, the joined corpus and its
  phrase table out, over several passes (``embed phrases``).

Inside: ``read.py`` turns a corpus into an id stream with sentence ends, ``pairs.py`` counts
bigrams in a numba hash table, ``scoring.py`` scores them, ``keys.py`` reproduces gensim's
string-keyed counts when tokens hold the delimiter, ``learn.py`` decides the phrases of one
pass, ``joiner.py`` joins them, ``table.py`` saves and loads the phrase table, ``write.py``
writes the joined corpus.
"""
from embed.phrases.model import Phrases
from embed.phrases.scoring import PhraseSettings

__all__ = ["Phrases", "PhraseSettings"]
