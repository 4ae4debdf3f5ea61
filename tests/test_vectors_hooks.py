"""The two hooks subclasses plug into: the key normaliser and vectors for words without a row.

The reference for a word answered by `_oov_vector` is a plain KeyedVectors holding the same
vector as an extra LAST row, searched with ``restrict_vocab`` = the real rows: every query must
answer exactly as it does. The word's vector is put close to the last real word, so a row -1
taken for "the last row" (numpy's negative indexing) would drop that word from the answers.
"""
import numpy as np
import pytest
from scipy import stats

from embed.errors import EmbedError
from embed.evaluate import evaluate_analogies, evaluate_pairs
from embed.vectors import KeyedVectors, UnknownWordError

N, DIM = 60, 8
WORDS = [f"w{i}" for i in range(N)]


class Subword(KeyedVectors):
    """A toy subword model: words ending in 'zz' have a vector (from a table), no row."""

    def __init__(self, *args, extra=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra = extra or {}

    def _oov_vector(self, word):
        return self.extra.get(word)


@pytest.fixture(scope="module")
def models():
    rng = np.random.default_rng(5)
    matrix = rng.standard_normal((N, DIM)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    extra = {"xzz": matrix[-1] + 0.05 * rng.standard_normal(DIM),
             "yzz": rng.standard_normal(DIM)}
    extra = {w: (v / np.linalg.norm(v)).astype(np.float32) for w, v in extra.items()}
    vec = {**dict(zip(WORDS, matrix)), **extra}
    # analogies through the words without rows come out right: d = b - a + c (+ noise)
    for a, b, c, d in (("w1", "w2", "xzz", "w3"), ("w4", "yzz", "w5", "w6"),
                       ("xzz", "w7", "yzz", "w8")):
        matrix[int(d[1:])] = vec[b] - vec[a] + vec[c] + 0.05 * rng.standard_normal(DIM)
    kv = Subword(WORDS, matrix, extra=extra)
    ref = KeyedVectors(WORDS + list(extra), np.vstack([matrix, *extra.values()]))
    return kv, ref


def _same(ours, theirs):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-6)


def test_oov_vector_answers_every_query_path(models):
    kv, ref = models
    r = N  # the reference searches only the real rows
    assert kv.most_similar("xzz", topn=3)[0][0] == WORDS[-1]  # the test is sensitive to row -1
    np.testing.assert_array_equal(kv["xzz"], ref["xzz"])
    np.testing.assert_array_equal(kv[["w1", "xzz", "yzz"]], ref[["w1", "xzz", "yzz"]])
    np.testing.assert_allclose(kv.get_vector("yzz", norm=True), ref.get_vector("yzz", norm=True))
    assert kv.similarity("xzz", "w3") == pytest.approx(ref.similarity("xzz", "w3"), abs=1e-6)
    assert kv.n_similarity(["xzz", "w1"], ["yzz"]) == \
        pytest.approx(ref.n_similarity(["xzz", "w1"], ["yzz"]), abs=1e-6)
    for pos, neg in ((["xzz"], []), (["xzz", "w1"], ["w2"]), (["w4", "w5"], ["yzz"]),
                     ([("xzz", 2.0), "w7"], ["yzz", "w8"])):
        _same(kv.most_similar(pos, neg, topn=6), ref.most_similar(pos, neg, topn=6,
                                                                  restrict_vocab=r))
        _same(kv.most_similar_cosmul(pos, neg, topn=6),
              ref.most_similar_cosmul(pos, neg, topn=6, restrict_vocab=r))
    batch = kv.most_similar_batch(["w1", "xzz", "yzz"], topn=5)
    for word, answer in zip(["w1", "xzz", "yzz"], batch):
        _same(answer, ref.most_similar(word, topn=5, restrict_vocab=r))
    _same(kv.nearest(kv["w2"], topn=4, exclude=["w2", "xzz"]),
          ref.most_similar(positive=[ref["w2"]], topn=5, restrict_vocab=r)[1:])
    for words in (["w1", "w2", "xzz"], ["yzz", "w3", "w4", "w5"]):
        assert kv.doesnt_match(words) == ref.doesnt_match(words)
    assert "xzz" in kv and not kv.has_index_for("xzz") and "w1zz" not in kv
    with pytest.raises(UnknownWordError, match="'w1zz' is not in the vocabulary"):
        kv.most_similar(["w1", "w1zz"])


def test_oov_vector_in_evaluate(models, tmp_path):
    """A question or pair with a word that has no row is answered with the hook's vector; an
    expected answer without a row cannot be predicted, so that question is skipped."""
    kv, ref = models
    questions = ["w1 w2 xzz w3", "w4 yzz w5 w6", "xzz w7 yzz w8", "w9 w10 w11 w12",
                 "w1 w2 w3 xzz", "w1 nozz w2 w3"]
    path = tmp_path / "q.txt"
    path.write_text(": mixed\n" + "\n".join(questions) + "\n")
    expected = 0
    for q in questions[:4]:  # gensim's rule: first of the best 5 that is not a query word
        a, b, c, d = q.split()
        best = ref.most_similar(positive=[b, c], negative=[a], topn=5, restrict_vocab=N)
        expected += next(w for w, _ in best if w not in (a, b, c)) == d
    ours = evaluate_analogies(kv, path, case_insensitive=False)
    assert expected >= 3  # the questions through words without rows are right
    assert ours["total"] == 4 and ours["questions"] == 6 and ours["correct"] == expected
    base = evaluate_analogies(KeyedVectors(WORDS, kv.vectors), path, case_insensitive=False)
    assert base["total"] == 1  # without the hook only the all-row question is answerable

    pairs = [("xzz", "w59", 9.0), ("w1", "yzz", 2.0), ("w3", "w4", 5.0), ("xzz", "yzz", 1.0),
             ("w5", "nozz", 3.0)]
    path = tmp_path / "p.txt"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in pairs))
    out = evaluate_pairs(kv, path, case_insensitive=False)
    sims = [ref.similarity(a, b) for a, b, _ in pairs[:4]]
    assert out["pairs"] == 4 and out["oov_pairs"] == 1
    assert out["spearman"] == pytest.approx(stats.spearmanr([s for *_, s in pairs[:4]], sims)[0])
    assert out["pearson"] == pytest.approx(stats.pearsonr([s for *_, s in pairs[:4]], sims)[0],
                                           abs=1e-6)


def test_oov_vector_of_the_wrong_shape_is_a_bug_not_a_user_error():
    class Broken(KeyedVectors):
        def _oov_vector(self, word):
            return np.zeros(3)

    with pytest.raises(ValueError, match=r"_oov_vector\('x'\) gave shape \(3,\), not \(2,\)"):
        Broken(["a"], np.ones((1, 2)))["x"]


def test_normalize_finds_words_not_found_as_given(tmp_path):
    rng = np.random.default_rng(2)
    words = ["king", "queen", "man", "woman", "Apple", "apple", "straße"]
    kv = KeyedVectors(words, rng.standard_normal((len(words), 6)), normalize=str.lower)
    np.testing.assert_array_equal(kv["King"], kv["king"])
    assert "KING" in kv and kv.has_index_for("Queen") and kv.get_index("MAN") == 2
    assert kv.get_index("Apple") == 4  # a word found as given is not normalised
    assert kv.similarity("King", "QUEEN") == kv.similarity("king", "queen")
    assert kv.n_similarity(["King"], ["Woman"]) == pytest.approx(kv.n_similarity(["king"],
                                                                                  ["woman"]))
    # the normalised word's own row is left out of its answers, as the word's would be
    assert "king" not in [w for w, _ in kv.most_similar("KING", topn=len(words))]
    assert kv.most_similar_batch(["KING"], topn=3) == kv.most_similar_batch(["king"], topn=3)
    assert kv.doesnt_match(["King", "Queen", "Apple"]) == kv.doesnt_match(["king", "queen",
                                                                           "Apple"])
    np.testing.assert_array_equal(kv["Straße"], kv["straße"])
    with pytest.raises(UnknownWordError) as err:  # the error names the word as typed
        kv["Kingg"]
    assert str(err.value).startswith("'Kingg' is not in the vocabulary")
    assert "Kingg" not in kv
    path = tmp_path / "p.txt"  # evaluation finds words through the normaliser too
    path.write_text("King Queen 9\nKing Apple 1\nMan Woman 7\n")
    assert evaluate_pairs(kv, path, case_insensitive=False)["pairs"] == 3
    with pytest.raises(EmbedError, match="no pair with both words"):  # without the normaliser
        evaluate_pairs(KeyedVectors(words, kv.vectors), path, case_insensitive=False)
