"""Files travel between Facebook's fastText, embed and gensim with the same vectors.

A model trained by the `fasttext` package is loaded by embed; embed writes it back with its own
writer; that file is loaded by `fasttext.load_model` and by gensim's `load_facebook_vectors` /
`load_facebook_model`, and every word's vector, in and out of the vocabulary, is compared.
"""
import numpy as np
import pytest
from fasttext_corpus import OOV, train_tiny

from embed.subwords.ngrams import EOS
from embed.subwords.vectors import SubwordVectors

CLOSE = dict(rtol=1e-6, atol=1e-7)  # gensim divides where fastText multiplies by 1 / count


@pytest.fixture(scope="module", params=["skipgram", "cbow"])
def round_trip(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    model, path = train_tiny(tmp, model=request.param)
    sv = SubwordVectors.load_fasttext_bin(path)
    ours = tmp / "ours.bin"
    a = model.f.getArgs()
    sv.save_fasttext_bin(ours, output=model.get_output_matrix(), epoch=a.epoch,
                         min_count=a.minCount, model=1 if request.param == "cbow" else 2)
    return model, path, sv, ours


def test_embed_reads_fasttexts_model(round_trip):
    model, _, sv, _ = round_trip
    words, counts = model.get_words(include_freq=True)
    assert sv.words == list(words) and sv.counts.tolist() == counts.tolist()
    for w in sv.words + OOV:
        np.testing.assert_array_equal(sv[w], model.get_word_vector(w), err_msg=w)


def test_fasttext_reads_our_model(round_trip):
    import fasttext

    model, path, sv, ours = round_trip
    back = fasttext.load_model(str(ours))
    assert back.get_words(include_freq=True)[0] == model.get_words(include_freq=True)[0]
    np.testing.assert_array_equal(back.get_words(include_freq=True)[1],
                                  model.get_words(include_freq=True)[1])
    for w in sv.words + OOV:
        np.testing.assert_array_equal(back.get_word_vector(w), sv[w], err_msg=w)
    np.testing.assert_array_equal(back.get_output_matrix(), model.get_output_matrix())
    # with fastText's own header fields and output matrix, the files are the same bytes
    assert ours.read_bytes() == path.read_bytes()


def test_gensim_reads_our_model(round_trip):
    from gensim.models.fasttext import load_facebook_model, load_facebook_vectors

    _, _, sv, ours = round_trip
    kv = load_facebook_vectors(str(ours))
    full = load_facebook_model(str(ours))
    assert kv.index_to_key == sv.words
    # gensim also gives fastText's end-of-line token "</s>" n-grams; fastText does not
    for w in [w for w in sv.words if w != EOS] + OOV:
        np.testing.assert_allclose(kv[w], sv[w], **CLOSE, err_msg=w)
        np.testing.assert_allclose(full.wv[w], sv[w], **CLOSE, err_msg=w)


def test_a_model_written_from_scratch_loads_everywhere(tmp_path):
    """Vectors that never came from fastText (what embed's trainer will write): random tables,
    no output matrix given (zeros are written), default header fields."""
    import fasttext
    from gensim.models.fasttext import load_facebook_vectors

    rng = np.random.default_rng(3)
    words = ["the", "café", "москва", "東京", "naïve", "dog"]
    bucket, dim = 50, 8
    sv = SubwordVectors(words, rng.standard_normal((len(words), dim)).astype(np.float32),
                        rng.standard_normal((bucket, dim)).astype(np.float32), 2, 4,
                        counts=[60, 50, 40, 30, 20, 10])
    path = tmp_path / "scratch.bin"
    sv.save_fasttext_bin(path)
    ft = fasttext.load_model(str(path))
    kv = load_facebook_vectors(str(path))
    for w in words + OOV:
        np.testing.assert_array_equal(ft.get_word_vector(w), sv[w], err_msg=w)
        np.testing.assert_allclose(kv[w], sv[w], **CLOSE, err_msg=w)


@pytest.mark.parametrize("last", ["x", "xy", "xyz", "xyzw"])
def test_matrices_at_any_byte_alignment(tmp_path, last):
    """The dictionary's length decides where the float32 data starts: mapped matrices may be
    unaligned, and must give the same vectors."""
    import fasttext

    rng = np.random.default_rng(4)
    words = ["the", "cafe", last]
    sv = SubwordVectors(words, rng.standard_normal((3, 8)).astype(np.float32),
                        rng.standard_normal((50, 8)).astype(np.float32), 2, 4)
    path = tmp_path / "a.bin"
    sv.save_fasttext_bin(path)
    mapped = SubwordVectors.load_fasttext_bin(path)
    ft = fasttext.load_model(str(path))
    for w in words + OOV:
        np.testing.assert_array_equal(mapped[w], ft.get_word_vector(w), err_msg=w)
    np.testing.assert_array_equal(mapped.vectors, sv.vectors)
