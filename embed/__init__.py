"""embed: train word vectors on text8 or any text, query, evaluate, export and tune them."""
from __future__ import annotations

__version__ = "0.1.0"


def load(path):
    """Read a model directory written by `embed train` (see `embed.w2v.model`)."""
    from embed.w2v.model import load_model

    return load_model(path)
