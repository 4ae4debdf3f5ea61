"""embed: train word vectors on text8 or any text, query, evaluate, export and tune them."""
from __future__ import annotations

__version__ = "0.1.0"


def train(corpus=None, **kwargs):
    """Train word vectors and return the model (``model.wv`` answers queries).

    ``corpus``: a path (file, directory, .gz/.bz2), ``"text8"`` (the default; downloaded on
    first use), ``"-"`` for stdin, or an iterable of token lists as gensim's
    ``Word2Vec(sentences=...)`` takes (streamed once; only the encoded ids are kept).
    Keywords: any training setting (``model="cbow", dim=200, window=8, epochs=10, ...``; see
    ``embed.w2v.settings.TrainSettings``; gensim's ``vector_size`` / ``workers`` work too), and
    ``subwords=True`` (fastText's model; or any of ``minn`` / ``maxn`` / ``bucket``, gensim's
    ``min_n`` / ``max_n``, the others taking fastText's defaults), ``vocab_size``,
    ``min_count``, ``tokens`` / ``sentences`` / ``phrases`` / ``max_words`` (how files are
    read), ``threads``, ``out_dir`` (checkpoints there), ``progress``, ``data_dir``.

        model = embed.train([["the", "cat", "sat"], ["the", "dog", "ran"]] * 500, dim=50)
        model.wv.most_similar("cat")
    """
    from embed.w2v.pipeline import train_corpus

    return train_corpus(corpus, **kwargs)


def load(path):
    """Read a model directory written by `embed train` (see `embed.w2v.model`)."""
    from embed.w2v.model import load_model

    return load_model(path)
