"""gensim's most used KeyedVectors surface, each name checked against gensim's own answer on the
same vectors."""
import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV

from embed.vectors import KeyedVectors, UnknownWordError

from vectors_pair import gensim_pair, same_answers

WORDS = [f"w{i}" for i in range(200)] + ["paris", "café", "naïve", "Paris"]


@pytest.fixture(scope="module")
def pair():
    return gensim_pair(WORDS, 16, seed=7, counts=np.arange(len(WORDS), 0, -1) * 5)


def test_item_access_and_get_vector(pair):
    kv, g = pair
    np.testing.assert_array_equal(kv["café"], g["café"])
    np.testing.assert_array_equal(kv[["w1", "Paris", "w3", "w1"]], g[["w1", "Paris", "w3", "w1"]])
    for word in ("w0", "naïve", "paris"):
        np.testing.assert_array_equal(kv.get_vector(word), g.get_vector(word))
        np.testing.assert_allclose(kv.get_vector(word, norm=True), g.get_vector(word, norm=True),
                                   rtol=1e-6, atol=1e-7)
    assert kv["w5"].dtype == np.float32 and kv[["w5"]].shape == (1, 16)
    for access in (lambda v: v["nope"], lambda v: v.get_vector("nope"),
                   lambda v: v[["w1", "nope"]]):
        with pytest.raises(KeyError):
            access(g)
        with pytest.raises(UnknownWordError, match="'nope' is not in the vocabulary"):
            access(kv)


def test_membership_and_index_maps(pair):
    kv, g = pair
    for word in ("w0", "w199", "paris", "Paris", "PARIS", "café", "cafe", "", "nope"):
        assert (word in kv) == (word in g), word
        assert kv.has_index_for(word) == g.has_index_for(word), word
    assert kv.index_to_key == g.index_to_key
    assert kv.key_to_index == g.key_to_index
    assert kv.vector_size == g.vector_size == 16
    assert kv.get_index("Paris") == g.get_index("Paris") == len(WORDS) - 1
    assert kv.get_index("nope", -1) == g.get_index("nope", -1) == -1
    assert len(kv) == len(g)


@pytest.mark.parametrize("ws1, ws2", [(["w1"], ["w2"]), (["w1", "w2", "w3"], ["paris", "café"]),
                                      (["w4", "w4"], ["w4"]), (["w9", "naïve"], ["w9", "naïve"])])
def test_n_similarity(pair, ws1, ws2):
    kv, g = pair
    assert kv.n_similarity(ws1, ws2) == pytest.approx(float(g.n_similarity(ws1, ws2)), abs=1e-6)


def test_similarity_and_distance(pair):
    kv, g = pair
    for a, b in (("w1", "w2"), ("paris", "Paris"), ("café", "café")):
        assert kv.similarity(a, b) == pytest.approx(float(g.similarity(a, b)), abs=1e-6)
        assert kv.distance(a, b) == pytest.approx(float(g.distance(a, b)), abs=1e-6)


def test_similar_by_word_and_by_vector(pair):
    kv, g = pair
    rng = np.random.default_rng(1)
    for word in ("w3", "paris", "naïve"):
        same_answers(kv.similar_by_word(word, topn=7), g.similar_by_word(word, topn=7))
    same_answers(kv.similar_by_word("w3", topn=5, restrict_vocab=50),
          g.similar_by_word("w3", topn=5, restrict_vocab=50))
    for vector in (kv["w7"], rng.standard_normal(16).astype(np.float32), kv["w7"] * 40):
        same_answers(kv.similar_by_vector(vector, topn=6), g.similar_by_vector(vector, topn=6))
        same_answers(kv.similar_by_vector(vector, topn=4, restrict_vocab=30),
              g.similar_by_vector(vector, topn=4, restrict_vocab=30))
    # the query's own word is an answer: a vector query leaves nothing out
    assert kv.similar_by_vector(kv["w7"], topn=1)[0][0] == "w7"
    np.testing.assert_allclose(kv.similar_by_vector(kv["w8"], topn=None),
                               g.similar_by_vector(g["w8"], topn=None), atol=1e-6)


def test_most_similar_with_vectors_among_the_words(pair):
    """A vector in a query enters the mean as it is, as in gensim (not as its unit vector)."""
    kv, g = pair
    v = kv["w2"] * 3.0
    same_answers(kv.most_similar(positive=["w1", v], negative=["w5"], topn=8),
          g.most_similar(positive=["w1", v], negative=["w5"], topn=8))
    same_answers(kv.most_similar(positive=[("w1", 2.0), (v, 0.5)], topn=8),
          g.most_similar(positive=[("w1", 2.0), (v, 0.5)], topn=8))


def test_to_gensim_is_a_real_gensim_keyedvectors(pair):
    kv, g = pair
    out = kv.to_gensim()
    assert isinstance(out, GensimKV)
    assert out.index_to_key == kv.words and out.key_to_index == kv.index
    np.testing.assert_array_equal(out.vectors, kv.vectors)
    assert out.vectors.dtype == np.float32 and out.vector_size == 16
    assert out.get_vecattr("w3", "count") == kv.counts[3]
    same_answers(out.most_similar("w11", topn=10), kv.most_similar("w11", topn=10))
    same_answers(out.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"]),
          g.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"]))
    out.vectors[0] += 1  # a copy: changing gensim's leaves ours alone
    np.testing.assert_array_equal(kv.vectors[0], g.vectors[0])
    assert KeyedVectors(["a", "b"], np.eye(2)).to_gensim().index_to_key == ["a", "b"]
