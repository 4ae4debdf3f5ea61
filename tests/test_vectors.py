"""KeyedVectors queries agree with gensim's; every file format round-trips exactly."""
import json

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV

from embed import modeldir
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError
from embed.vectors import (KeyedVectors, PickleWarning, UnknownWordError, load_vectors,
                           read_word2vec)

from vectors_pair import gensim_pair, same_answers

WORDS = [f"w{i}" for i in range(300)] + ["paris", "café", "naïve"]


@pytest.fixture(scope="module")
def pair():
    return gensim_pair(WORDS, 12, seed=0)


def test_queries_equal_gensim(pair):
    kv, g = pair
    same_answers(kv.most_similar("w3"), g.most_similar("w3"))
    same_answers(kv.most_similar(positive=["w1", "w2"], negative=["w3"], topn=7),
          g.most_similar(positive=["w1", "w2"], negative=["w3"], topn=7))
    same_answers(kv.most_similar(positive=["w1"], negative=["w9", "w4"], topn=5, restrict_vocab=100),
          g.most_similar(positive=["w1"], negative=["w9", "w4"], topn=5, restrict_vocab=100))
    same_answers(kv.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"]),
          g.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"]))
    assert kv.similarity("w5", "paris") == pytest.approx(float(g.similarity("w5", "paris")),
                                                        abs=1e-6)
    assert kv.doesnt_match(["w1", "w2", "w3", "w4", "café"]) == \
        g.doesnt_match(["w1", "w2", "w3", "w4", "café"])
    same_answers(kv.nearest(kv["w7"], topn=4), g.similar_by_vector(g["w7"], topn=4))
    np.testing.assert_allclose(kv.most_similar("w3", topn=None),
                               g.most_similar("w3", topn=None), atol=1e-5)
    assert "w3" not in [w for w, _ in kv.most_similar("w3", topn=len(WORDS))]
    assert len(kv.most_similar("w3", topn=len(WORDS))) == len(WORDS) - 1


def test_batch_equals_single_queries(pair):
    kv, g = pair
    queries = ["w0", "w17", "paris", "w299", "w17"] + [f"w{i}" for i in range(100, 140, 2)]
    batch = kv.most_similar_batch(queries, topn=6)
    for q, answer in zip(queries, batch):
        same_answers(answer, g.most_similar(q, topn=6))
    assert [len(a) for a in kv.most_similar_batch(["w1"], topn=10_000)] == [len(WORDS) - 1]
    rows = kv.nearest(kv[["w1", "w2"]], topn=3)
    assert rows[0][0][0] == "w1" and rows[1][0][0] == "w2"
    # `exclude` applies to every row of a matrix query as to a single vector
    rows = kv.nearest(kv[["w1", "w2"]], topn=3, exclude=["w1", "w2"])
    for v, row in zip(("w1", "w2"), rows):
        single = kv.nearest(kv[v], topn=3, exclude=["w1", "w2"])
        assert [w for w, _ in row] == [w for w, _ in single]
        assert not {"w1", "w2"} & {w for w, _ in row}


def test_unknown_word_names_close_words(pair):
    kv, _ = pair
    with pytest.raises(UnknownWordError, match="close words: paris") as err:
        kv.most_similar("Paris")
    assert isinstance(err.value, KeyError) and isinstance(err.value, EmbedError)
    assert "\n" not in str(err.value)
    with pytest.raises(EmbedError, match="'cafe' is not in the vocabulary.*café"):
        kv.similarity("cafe", "w1")
    assert "paris" in kv and "nope" not in kv and kv.index["w3"] == 3
    assert kv.index_to_key is kv.words and kv.key_to_index is kv.index and kv.vector_size == 12


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip_with_gensim(pair, tmp_path, binary):
    kv, g = pair
    ours = tmp_path / "ours"
    kv.save_word2vec(ours, binary=binary)
    back = GensimKV.load_word2vec_format(str(ours), binary=binary)
    assert back.index_to_key == WORDS
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    theirs = tmp_path / "theirs"
    g.save_word2vec_format(str(theirs), binary=binary)
    for path in (ours, theirs):  # format detected from the content
        mine = load_vectors(path)
        assert mine.words == WORDS
        np.testing.assert_array_equal(mine.vectors, kv.vectors)
    if not binary:  # shortest float32 repr, exactly as gensim writes it
        assert ours.read_bytes() == theirs.read_bytes()
    limited = load_vectors(ours, limit=10)
    assert limited.words == WORDS[:10]
    np.testing.assert_array_equal(limited.vectors, kv.vectors[:10])


def test_word2vec_c_tool_layouts(tmp_path):
    """word2vec.c's text ends lines with a space; its binary ends vectors with a newline;
    GloVe text has no header. Duplicates keep their first vector, as in gensim."""
    v = np.array([[0.5, -1.25], [2.0, 3.0], [9.0, 9.0]], dtype=np.float32)
    (tmp_path / "c.txt").write_text("3 2\nx 0.500000 -1.250000 \ny 2.000000 3.000000 \n"
                                    "x 9 9 \n")
    (tmp_path / "c.bin").write_bytes(b"3 2\n" + b"".join(
        w + b" " + row.tobytes() + b"\n" for w, row in zip([b"x", b"y", b"x"], v)))
    (tmp_path / "glove.txt").write_text("x 0.5 -1.25\ny 2 3\n")
    for name in ("c.txt", "c.bin", "glove.txt"):
        kv = load_vectors(tmp_path / name)
        assert kv.words == ["x", "y"], name
        np.testing.assert_array_equal(kv.vectors, v[:2])
    assert read_word2vec(tmp_path / "c.bin", binary=True).words == ["x", "y"]


def test_binary_long_and_non_ascii_words(tmp_path):
    words = ["a" * 300, "é" * 40, "b", "日本語"]
    v = np.arange(len(words) * 3, dtype=np.float32).reshape(-1, 3)
    KeyedVectors(words, v).save_word2vec(tmp_path / "w.bin", binary=True)
    back = load_vectors(tmp_path / "w.bin")
    assert back.words == words
    np.testing.assert_array_equal(back.vectors, v)
    assert GensimKV.load_word2vec_format(str(tmp_path / "w.bin"), binary=True).index_to_key \
        == words


def test_damaged_files_give_clear_errors(pair, tmp_path):
    kv, _ = pair
    kv.save_word2vec(tmp_path / "v.bin", binary=True)
    data = (tmp_path / "v.bin").read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(EmbedError, match="truncated"):
        load_vectors(tmp_path / "cut.bin")
    kv.save_word2vec(tmp_path / "v.txt")
    lines = (tmp_path / "v.txt").read_text().splitlines()
    (tmp_path / "short.txt").write_text("\n".join(lines[:50]) + "\n")
    with pytest.raises(EmbedError, match="truncated"):
        load_vectors(tmp_path / "short.txt")
    lines[5] = lines[5].rsplit(" ", 1)[0]  # a line one number short
    lines[6] += " 1.0"  # and one a number long: the total still matches
    (tmp_path / "bad.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(EmbedError, match=r"bad.txt:6: expected a word and 12 numbers"):
        load_vectors(tmp_path / "bad.txt")
    lines = (tmp_path / "v.txt").read_text().splitlines()
    lines[3] = lines[3].replace(" ", " x", 1)
    (tmp_path / "nan.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(EmbedError, match="nan.txt:4"):
        load_vectors(tmp_path / "nan.txt")
    lines = (tmp_path / "v.txt").read_text().splitlines()
    lines[7] = lines[7].split(" ", 1)[0] + " nan" + " 0.5" * 11  # parses, but is not a vector
    (tmp_path / "real-nan.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(EmbedError, match="real-nan.txt:8: vector contains NaN"):
        load_vectors(tmp_path / "real-nan.txt")
    (tmp_path / "dim.txt").write_text("2 3\na 1 2\nb 3 4\n")
    with pytest.raises(EmbedError, match="dim.txt:2: 2 numbers after the word, but the header "
                                         "says 3 dimensions"):
        load_vectors(tmp_path / "dim.txt")
    with pytest.raises(EmbedError, match="not found"):
        load_vectors(tmp_path / "missing.bin")
    (tmp_path / "junk.kv").write_bytes(b"\x80\x04junk")
    with pytest.raises(EmbedError, match="not a readable gensim file"), \
            pytest.warns(PickleWarning):
        load_vectors(tmp_path / "junk.kv")


def test_gensim_native_and_npy_round_trip(pair, tmp_path):
    kv, _ = pair
    counted = KeyedVectors(kv.words, kv.vectors, counts=np.arange(len(kv), 0, -1) * 3)
    counted.save_gensim(tmp_path / "v.kv")
    g = GensimKV.load(str(tmp_path / "v.kv"))
    assert g.index_to_key == WORDS and g.get_vecattr("w2", "count") == counted.counts[2]
    np.testing.assert_array_equal(g.vectors, kv.vectors)
    same_answers(g.most_similar("w4"), kv.most_similar("w4"))
    with pytest.warns(PickleWarning, match="pickles can run code"):
        back = load_vectors(tmp_path / "v.kv")
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.counts, counted.counts)
    counted.save_npy(tmp_path / "v.npy")
    assert (tmp_path / "v.vocab.tsv").is_file()
    back = load_vectors(tmp_path / "v.npy", limit=7)
    assert back.words == WORDS[:7] and list(back.counts) == list(counted.counts[:7])
    np.testing.assert_array_equal(back.vectors, kv.vectors[:7])
    assert not list(tmp_path.glob(".*tmp*"))


def test_gensim_trained_model_dir(tmp_path):
    """Vectors gensim trains, stored as an `embed train` model directory (UNK at row 0)."""
    from gensim.models import Word2Vec

    rng = np.random.default_rng(3)
    topics = [[f"{t}{i}" for i in range(8)] for t in "abc"]
    sentences = [list(rng.choice(topics[rng.integers(3)], 10)) for _ in range(300)]
    model = Word2Vec(sentences, vector_size=16, min_count=1, window=3, seed=1, workers=1,
                     epochs=5)
    words = list(model.wv.index_to_key)
    counts = [model.wv.get_vecattr(w, "count") for w in words]
    vocab = Vocabulary(["UNK"] + words, [0] + counts)
    unk_row = np.full((1, 16), 7.0, np.float32)
    modeldir.save(tmp_path / "m", modeldir.ModelFiles(
        vectors=np.vstack([unk_row, model.wv.vectors]), vocab=vocab, settings={"dim": 16}))
    kv = load_vectors(tmp_path / "m")
    assert kv.words == words and "UNK" not in kv
    same_answers(kv.most_similar("a1", topn=5), model.wv.most_similar("a1", topn=5))
    assert kv.most_similar("a1", topn=3)[0][0].startswith("a")  # topics are learnt
    model.save(str(tmp_path / "w2v.model"))  # a whole gensim model: its .wv is read
    with pytest.warns(PickleWarning):
        whole = load_vectors(tmp_path / "w2v.model")
    assert whole.words == words
    np.testing.assert_array_equal(whole.vectors, model.wv.vectors)
    settings = tmp_path / "m" / "settings.json"
    settings.write_text(json.dumps({"dim": 16, "keep_unk": True}))
    kv = load_vectors(tmp_path / "m")
    assert kv.words[0] == "UNK" and len(kv) == len(words) + 1
    np.testing.assert_array_equal(kv["UNK"], unk_row[0])


def test_bad_input(tmp_path):
    with pytest.raises(EmbedError, match="3 words but 2 vectors"):
        KeyedVectors(["a", "b", "c"], np.zeros((2, 3)))
    with pytest.raises(EmbedError, match="duplicates"):
        KeyedVectors(["a", "a"], np.zeros((2, 3)))
    kv = KeyedVectors(["a b", "c"], np.ones((2, 3)))
    with pytest.raises(EmbedError, match="whitespace"):
        kv.save_word2vec(tmp_path / "never-written.txt")
    assert not list(tmp_path.iterdir())
    with pytest.raises(EmbedError, match="at least one word"):
        kv.most_similar([])


@pytest.mark.parametrize("binary", [False, True])
def test_limit_reads_only_the_first_words_of_a_huge_file(tmp_path, binary):
    """--limit on a (sparse) 4 GiB file: only its first records are read, not the whole file."""
    import resource

    path = tmp_path / ("big.bin" if binary else "big.txt")
    dim = 4
    KeyedVectors(WORDS[:5], np.arange(5 * dim, dtype=np.float32).reshape(5, dim)) \
        .save_word2vec(path, binary=binary)
    with open(path, "r+b") as f:
        f.truncate(4 << 30)  # a hole: costs no disk, but reading it all would cost 4 GiB
    kv = load_vectors(path, limit=3)
    assert kv.words == WORDS[:3]
    np.testing.assert_array_equal(kv.vectors, np.arange(3 * dim).reshape(3, dim))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_kib < 2 << 20, f"peak memory {peak_kib >> 10} MiB: the whole file was read"
