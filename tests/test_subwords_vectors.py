"""SubwordVectors: a word's vector is fastText's getWordVector (exactly) and gensim's
FastTextKeyedVectors' (to float32 rounding), in and out of the vocabulary."""
import numpy as np
import pytest
from fasttext_corpus import OOV, corpus_words, train_tiny, write_corpus

from embed.errors import EmbedError
from embed.subwords.vectors import SubwordVectors
from embed.vectors import UnknownWordError

# gensim divides the sum by the count where fastText multiplies by float32(1 / count): the two
# may differ in the last bit
CLOSE = dict(rtol=1e-6, atol=1e-7)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return train_tiny(tmp_path_factory.mktemp("ft"))


def test_equals_fasttext_in_and_out_of_vocabulary(tiny):
    model, path = tiny
    sv = SubwordVectors.load_fasttext_bin(path)
    assert sv.words == list(model.get_words())
    for w in sv.words + OOV:
        np.testing.assert_array_equal(sv.get_vector(w), model.get_word_vector(w), err_msg=w)
        np.testing.assert_array_equal(sv[w], model.get_word_vector(w), err_msg=w)


def test_composed_table_equals_fasttext(tiny):
    model, path = tiny
    sv = SubwordVectors.load_fasttext_bin(path)
    expected = np.stack([model.get_word_vector(w) for w in sv.words])
    np.testing.assert_array_equal(sv.vectors, expected)
    # once the table exists, single vectors come from it and are the same
    for w in sv.words[:20]:
        np.testing.assert_array_equal(sv.get_vector(w), model.get_word_vector(w))


def test_a_query_reads_only_its_rows(tiny):
    _, path = tiny
    sv = SubwordVectors.load_fasttext_bin(path)
    assert isinstance(sv.word_rows, np.memmap) and isinstance(sv.ngram_rows, np.memmap)
    sv.get_vector("unseen")
    sv.get_vector(sv.words[3])
    assert sv._vectors is None and sv._table_csr is None  # no whole-vocabulary work done


def test_rows_are_the_ones_averaged(tiny):
    model, path = tiny
    sv = SubwordVectors.load_fasttext_bin(path)
    table = np.vstack([sv.word_rows, sv.ngram_rows])  # fastText's one input matrix
    np.testing.assert_array_equal(table, model.get_input_matrix())
    for w in [sv.words[0], sv.words[5], "unseen", "東京都"]:
        assert sv.rows(w).tolist() == model.get_subwords(w)[1].tolist()
        rows = sv.rows(w)
        mean = table[rows].astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(sv.get_vector(w), mean, rtol=1e-5, atol=1e-7)
    sv.subword_table  # the same answers from the vocabulary's table
    assert sv.rows(sv.words[5]).tolist() == model.get_subwords(sv.words[5])[1].tolist()


def test_equals_gensim_fasttext_keyed_vectors(tmp_path):
    from gensim.models import FastText

    corpus = write_corpus(tmp_path / "c.txt")
    sentences = [line.split() for line in corpus.read_text(encoding="utf-8").splitlines()]
    g = FastText(sentences, vector_size=10, min_count=1, bucket=2000, min_n=2, max_n=5,
                 epochs=1, workers=1, seed=1)
    wv = g.wv
    sv = SubwordVectors(wv.index_to_key, wv.vectors_vocab, wv.vectors_ngrams, wv.min_n,
                        wv.max_n)
    assert sv.bucket == wv.bucket == 2000
    for w in wv.index_to_key + OOV:
        np.testing.assert_allclose(sv.get_vector(w), wv[w], **CLOSE, err_msg=w)
    np.testing.assert_allclose(sv.vectors, wv.vectors, **CLOSE)


def test_word_without_known_ngram_is_an_error(tiny):
    _, path = tiny
    sv = SubwordVectors.load_fasttext_bin(path)
    assert sv.rows("").size == 0  # "<>" is shorter than minn 3
    with pytest.raises(UnknownWordError, match="no known n-gram") as e:
        sv.get_vector("")
    assert isinstance(e.value, KeyError) and isinstance(e.value, EmbedError)
    assert "\n" not in str(e.value)
    assert sv._oov_vector("") is None
    assert sv._oov_vector("unseen") is not None
    short = SubwordVectors(["word"], np.ones((1, 4), np.float32), np.ones((10, 4), np.float32),
                           5, 6)
    np.testing.assert_array_equal(short["word"], np.ones(4, np.float32))  # its own row
    assert short.get_vector("abc").shape == (4,)  # "<abc>" is 5 characters: one n-gram
    with pytest.raises(UnknownWordError, match="no known n-gram"):
        short.get_vector("ab")  # "<ab>" is 4: none


def test_no_ngram_model(tmp_path):
    model, path = train_tiny(tmp_path, maxn=0)
    sv = SubwordVectors.load_fasttext_bin(path)
    assert sv.bucket == 0 and sv.ngram_rows.shape == (0, 10)
    for w in sv.words[:10]:
        np.testing.assert_array_equal(sv.get_vector(w), model.get_word_vector(w))
    with pytest.raises(UnknownWordError, match="no character n-grams"):
        sv.get_vector("unseen")


def test_most_similar_takes_unknown_words(tiny):
    _, path = tiny
    sv = SubwordVectors.load_fasttext_bin(path)
    best = sv.most_similar("unseen", topn=5)
    assert len(best) == 5 and all(w in sv for w, _ in best)
    q = sv.get_vector("unseen")
    cos = sv.vectors @ q / (np.linalg.norm(sv.vectors, axis=1) * np.linalg.norm(q))
    assert best[0][0] == sv.words[int(np.argmax(cos))]
    assert best[0][1] == pytest.approx(float(cos.max()), abs=1e-5)
    word = sv.words[4]
    assert word not in [w for w, _ in sv.most_similar(word, topn=10)]
    assert sv.similarity("unseen", "unseen") == pytest.approx(1.0, abs=1e-6)


def test_vec_export_holds_the_composed_vectors(tiny, tmp_path):
    from gensim.models import KeyedVectors

    _, path = tiny
    sv = SubwordVectors.load_fasttext_bin(path)
    sv.save_vec(tmp_path / "m.vec")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "m.vec"))
    assert kv.index_to_key == sv.words
    np.testing.assert_array_equal(kv.vectors, sv.vectors)


def test_bad_tables_are_refused():
    words = corpus_words()[:5]
    rows = np.zeros((5, 3), np.float32)
    with pytest.raises(EmbedError, match="word_rows is 4 x 3, expected 5 x"):
        SubwordVectors(words, rows[:4], np.zeros((3, 3), np.float32), 3, 6)
    with pytest.raises(EmbedError, match="ngram_rows is 3 x 2, expected 3 x 3"):
        SubwordVectors(words, rows, np.zeros((3, 2), np.float32), 3, 6)
    with pytest.raises(EmbedError, match="float32"):
        SubwordVectors(words, rows.astype(np.float64), np.zeros((3, 3), np.float32), 3, 6)
    with pytest.raises(EmbedError, match="duplicates"):
        SubwordVectors(words[:4] + words[:1], rows, np.zeros((3, 3), np.float32), 3, 6)
