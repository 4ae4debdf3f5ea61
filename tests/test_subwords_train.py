"""Training a subword (fastText) model: vectors for any word, Ctrl-C and --resume, and files
that fastText and gensim read with the same vectors."""
import numpy as np
import pytest
from fasttext_corpus import OOV, write_corpus

from embed.data.vocab import Vocabulary
from embed.errors import EmbedError
from embed.subwords.vectors import SubwordVectors
from embed.vectors import UnknownWordError, load_vectors
from embed.w2v.model import load_model
from embed.w2v.train import TrainingInterrupted, train
from w2v_corpus import ANIMALS, FRUITS, topic_corpus

SMALL = dict(dim=16, window=3, negative=4, sample=0, epochs=2, threads=1, seed=3, minn=3,
             maxn=5, bucket=3_000)
CLOSE = dict(rtol=1e-6, atol=1e-7)  # gensim divides where fastText multiplies by 1 / count


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus(20_000)


def unicode_corpus(tmp):
    """Tokens of fastText's test corpus (accented, Cyrillic, CJK words), as a vocabulary and
    an id stream."""
    path = write_corpus(tmp / "c.txt")
    tokens = path.read_text(encoding="utf-8").split()
    vocab = Vocabulary.from_tokens(tokens)
    return vocab, vocab.encode(tokens)


def _unit(m):
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_subword_model_learns_topics_and_answers_for_unseen_words(corpus, model):
    vocab, ids = corpus
    m = train(ids, vocab, model=model, **SMALL)
    assert m.history[-1, 1] < 0.99 * m.history[0, 1]
    wv = m.wv
    assert isinstance(wv, SubwordVectors) and "UNK" not in wv.words
    assert m.arrays["ngrams"].shape == (3_000, 16)
    a, f = _unit(wv[ANIMALS]), _unit(wv[FRUITS])
    margin = (np.mean(a @ a.T) + np.mean(f @ f.T)) / 2 - np.mean(a @ f.T)
    assert margin > 0.2, margin
    # a word never seen is its n-grams' mean, and lands among the words it shares them with
    rows = wv.rows("horses")
    assert len(rows) and rows.min() >= len(wv)   # n-gram rows only
    expected = m.arrays["ngrams"][rows - len(wv)].mean(axis=0)
    np.testing.assert_allclose(wv["horses"], expected, rtol=1e-5, atol=1e-7)
    near = [w for w, _ in wv.most_similar("horses", topn=3)]
    assert "horse" in near and set(near) <= set(ANIMALS) | {"the", "a", "and"}, near
    # a vocabulary word is the mean of its own row and its n-gram rows
    own = m.vectors[vocab.id("grape")]
    grape = np.vstack([own, m.arrays["ngrams"][wv.rows("grape")[1:] - len(wv)]])
    np.testing.assert_allclose(wv["grape"], grape.mean(axis=0), rtol=1e-5, atol=1e-7)


def test_one_thread_and_a_seed_repeat_and_threads_train_too(corpus):
    vocab, ids = corpus
    a = train(ids, vocab, model="cbow", **SMALL)
    b = train(ids, vocab, model="cbow", **SMALL)
    assert np.array_equal(a.arrays["ngrams"], b.arrays["ngrams"])
    assert np.array_equal(a.vectors, b.vectors)
    two = train(ids, vocab, **{**SMALL, "threads": 2})
    assert two.wv.similarity("cat", "dog") > two.wv.similarity("cat", "plum")


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_ctrl_c_checkpoints_and_resume_continues_the_same_schedule(corpus, tmp_path, model):
    vocab, ids = corpus
    full = train(ids, vocab, model=model, **SMALL)

    def interrupt(info):
        if info["epoch"] == 0 and info["chunk"] == 0:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted):
        train(ids, vocab, model=model, out_dir=tmp_path / "m", callback=interrupt, **SMALL)
    saved = load_model(tmp_path / "m")
    assert saved.arrays["ngrams"].shape == (3_000, 16) and not saved.state["complete"]
    resumed = train(ids, resume=tmp_path / "m", out_dir=tmp_path / "m", threads=1)
    for name in ("vectors", "output"):
        assert np.array_equal(getattr(resumed, name), getattr(full, name)), name
    assert np.array_equal(resumed.arrays["ngrams"], full.arrays["ngrams"])
    again = load_model(tmp_path / "m")
    assert np.array_equal(again.arrays["ngrams"], full.arrays["ngrams"])


def test_layered_optimizers_train_subword_models(corpus):
    vocab, ids = corpus
    for extra in ({"optimizer": "adagrad"}, {"model": "cbow", "optimizer": "adam"}):
        m = train(ids, vocab, **{**SMALL, "epochs": 1, **extra})
        assert m.history[-1, 1] < m.history[0, 1], extra
        assert m.wv.similarity("cat", "dog") > m.wv.similarity("cat", "plum"), extra


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_our_bin_loads_in_fasttext_and_gensim_with_equal_vectors(tmp_path, model):
    import fasttext
    from gensim.models.fasttext import load_facebook_vectors

    vocab, ids = unicode_corpus(tmp_path)
    m = train(ids, vocab, model=model, dim=10, minn=2, maxn=5, bucket=2_000, epochs=1,
              threads=1, sample=0, out_dir=tmp_path / "m")
    path = tmp_path / "m.bin"
    load_vectors(tmp_path / "m").save_fasttext_bin(path)
    ft = fasttext.load_model(str(path))
    words, counts = ft.get_words(include_freq=True)
    assert list(words) == vocab.words[1:] and counts.tolist() == vocab.counts[1:].tolist()
    np.testing.assert_array_equal(ft.get_output_matrix(), m.output[1:])
    a = ft.f.getArgs()
    assert (a.dim, a.minn, a.maxn, a.bucket, a.ws, a.neg) == (10, 2, 5, 2_000, 5, 5)
    kv = load_facebook_vectors(str(path))
    # embed spells a query as the corpus was read ("😀ok" is the token "ok"); fastText does
    # not: compare the words both take as they are
    unseen = [w for w in OOV if w not in vocab and m.wv.normalize(w) == w]
    assert len(unseen) >= 8 and all(w not in m.wv.words for w in unseen)
    np.testing.assert_array_equal(m.wv["😀ok"], m.wv["ok"])
    for w in m.wv.words + unseen:
        np.testing.assert_array_equal(ft.get_word_vector(w), m.wv[w], err_msg=w)
        np.testing.assert_allclose(kv[w], m.wv[w], **CLOSE, err_msg=w)
    # and back: embed reads the file fastText read, to the same vectors
    back = load_vectors(path)
    assert isinstance(back, SubwordVectors)
    for w in m.wv.words[:20] + unseen:
        np.testing.assert_array_equal(back[w], m.wv[w], err_msg=w)


def test_a_subword_model_directory_reads_lazily(corpus, tmp_path):
    vocab, ids = corpus
    m = train(ids[:6_000], vocab, out_dir=tmp_path / "m", **{**SMALL, "epochs": 1})
    kv = load_vectors(tmp_path / "m")
    assert isinstance(kv, SubwordVectors) and isinstance(kv.ngram_rows, np.memmap)
    np.testing.assert_array_equal(kv["horses"], m.wv["horses"])
    np.testing.assert_array_equal(kv["cat"], m.wv["cat"])
    assert kv._vectors is None            # single vectors never compose the vocabulary
    np.testing.assert_array_equal(kv.vectors, m.wv.vectors)
    top = load_vectors(tmp_path / "m", limit=3)
    assert top.words == kv.words[:3] and top[kv.words[5]].shape == (16,)   # now from n-grams


def test_a_word_without_known_ngrams_is_an_unknown_word(corpus):
    vocab, ids = corpus
    m = train(ids[:6_000], vocab, **{**SMALL, "epochs": 1, "minn": 4})
    assert m.wv["xy"].shape == (16,)      # "<xy>": one n-gram of 4 characters
    assert "x" not in m.wv and "xy" in m.wv
    with pytest.raises(UnknownWordError, match="no known n-gram") as e:
        m.wv["x"]                          # "<x>": none
    assert isinstance(e.value, EmbedError)


def test_a_trained_unk_owns_no_ngrams_and_stays_out_of_the_bin(corpus, tmp_path):
    import fasttext

    vocab, ids = corpus
    ids = ids.copy()
    ids[::7] = 0
    m = train(ids, vocab, keep_unk=True, **{**SMALL, "epochs": 1})
    wv = m.wv
    assert "UNK" in wv.words and wv.rows("UNK").tolist() == [0]
    np.testing.assert_array_equal(wv["UNK"], m.vectors[0])
    wv.save_fasttext_bin(tmp_path / "m.bin")
    ft = fasttext.load_model(str(tmp_path / "m.bin"))
    assert list(ft.get_words()) == [w for w in wv.words if w != "UNK"]
    for w in ("cat", "grapes"):
        np.testing.assert_array_equal(ft.get_word_vector(w), wv[w])


def test_embed_train_takes_gensims_fasttext_names():
    import embed

    from w2v_corpus import topic_tokens

    tokens = topic_tokens(6_000)
    sentences = [tokens[s:s + 12] for s in range(0, len(tokens), 12)]
    m = embed.train(sentences, min_n=3, max_n=5, bucket=1_000, vector_size=12, epochs=1,
                    workers=1)
    assert (m.settings["minn"], m.settings["maxn"], m.settings["bucket"]) == (3, 5, 1_000)
    assert isinstance(m.wv, SubwordVectors) and m.wv["kittens"].shape == (12,)


@pytest.mark.parametrize("kwargs,want", [
    (dict(subwords=True), (3, 6, 2_000_000)),      # --subwords: fastText's defaults
    (dict(min_n=2), (2, 6, 2_000_000)),            # gensim's FastText(min_n=2): max_n stays 6
    (dict(bucket=500), (3, 6, 500)),
    (dict(subwords=True, maxn=0), (3, 0, 0)),       # n-grams off: a word model
    (dict(), (3, 0, 0)),
])
def test_embed_train_turns_ngrams_on_as_the_cli_does(kwargs, want, monkeypatch):
    import embed

    seen = {}

    def fake_train(ids, vocab, **settings):
        seen.update(settings)
        raise SystemExit

    monkeypatch.setattr("embed.w2v.train.train", fake_train)
    with pytest.raises(SystemExit):
        embed.train([["a", "b", "c"]] * 10, **kwargs)
    from embed.w2v.settings import TrainSettings

    st = TrainSettings(**{k: v for k, v in seen.items()
                          if k in TrainSettings.names()})
    assert (st.minn, st.maxn, st.bucket) == want
