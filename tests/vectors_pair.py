"""The same random vectors held by our KeyedVectors and by gensim's, for answer-by-answer
comparisons."""
import numpy as np
from gensim.models import KeyedVectors as GensimKV

from embed.vectors import KeyedVectors


def gensim_pair(words, dim: int, seed: int, counts=None):
    """(ours, gensim's) KeyedVectors over the same standard-normal float32 [len(words), dim]."""
    matrix = np.random.default_rng(seed).standard_normal((len(words), dim)).astype(np.float32)
    g = GensimKV(dim)
    g.add_vectors(list(words), matrix)
    return KeyedVectors(words, matrix, counts=counts), g


def same_answers(ours, theirs, tol=1e-5):
    """Two ``[(word, similarity), ...]`` lists name the same words in order, scores within tol."""
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=tol)
