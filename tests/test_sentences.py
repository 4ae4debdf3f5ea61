"""Sentence boundaries from corpora (lines / chunks) and from iterables of token lists."""
import io
import sys

import numpy as np
import pytest

from embed.data.encode import encode_corpus
from embed.data.sentences import encode_sentences
from embed.data.vocab import UNK, Vocabulary
from embed.errors import EmbedError


def test_line_ends_end_sentences_and_chunks_ignore_them(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("a b c\n\nd e\r\n  \nf\n g h")  # empty and blank lines end nothing
    c = encode_corpus(f, progress=False)
    assert c.sentences == "lines" and c.ends.dtype == np.int64
    assert c.ends.tolist() == [3, 5, 6, 8]
    chunks = encode_corpus(f, sentences="chunks", progress=False)
    assert chunks.ends is None and chunks.ids.tolist() == c.ids.tolist()
    with pytest.raises(EmbedError, match="lines or chunks"):
        encode_corpus(f, sentences="paragraphs", progress=False)


def test_text8_single_line_gives_today_s_10000_word_chunks(tmp_path):
    f = tmp_path / "text8"
    f.write_text(" " + " ".join(["w" + "abcdefghij"[i % 10] for i in range(25_000)]))
    c = encode_corpus(f, progress=False)
    assert c.ends.tolist() == [10_000, 20_000, 25_000]


def test_long_lines_are_cut_like_gensim_linesentence(tmp_path):
    from gensim.models.word2vec import LineSentence

    f = tmp_path / "c.txt"
    lines = [" ".join(f"t{i % 7}" for i in range(n)) for n in (3, 10_000, 10_001, 23_456, 1)]
    f.write_text("\n".join(lines) + "\n")
    c = encode_corpus(f, tokens="split", progress=False)
    expected = np.cumsum([len(s) for s in LineSentence(str(f))]).tolist()
    assert c.ends.tolist() == expected


def test_files_of_a_directory_and_stdin_end_their_last_sentence(tmp_path, monkeypatch):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("a b")  # no newline at the end
    (d / "b.txt").write_text("c d e\n")
    assert encode_corpus(d, progress=False).ends.tolist() == [2, 5]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x y\nz")))
    c = encode_corpus("-", progress=False)
    assert c.ends.tolist() == [2, 3] and c.source == "-" and len(c.fingerprint) == 64


def test_encode_sentences_matches_gensim_counts_and_keeps_sentences():
    from gensim.models import Word2Vec

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    sents = [[words[k] for k in rng.zipf(1.4, rng.integers(1, 30)) % 300] for _ in range(500)]
    c = encode_sentences(iter(sents), vocab_size=60)  # a generator: read once
    assert c.vocab.tokens == "split" and c.tokens == "split" and c.source == "<iterable>"
    assert c.vocab == Vocabulary.from_tokens([t for s in sents for t in s], size=60,
                                             rule="split")
    model = Word2Vec(min_count=1)
    model.build_vocab(sents)
    for w, n in zip(c.vocab.words[1:], c.vocab.counts[1:]):
        assert model.wv.get_vecattr(w, "count") == n
    np.testing.assert_array_equal(c.ids, c.vocab.encode([t for s in sents for t in s]))
    assert c.ends.tolist() == np.cumsum([len(s) for s in sents]).tolist()


def test_encode_sentences_cuts_long_sentences_skips_empty_ones_and_keeps_unk_out():
    c = encode_sentences([["x"] * 25_000, [], ("UNK", "y")], vocab_size=10)
    assert c.ends.tolist() == [10_000, 20_000, 25_000, 25_002]
    assert c.vocab.words == [UNK, "x", "y"] and c.vocab.counts.tolist() == [1, 25_000, 1]
    again = encode_sentences([["y", "zz", "x"]], vocab=c.vocab)
    assert again.vocab is c.vocab and again.ids.tolist() == [2, 0, 1]


@pytest.mark.parametrize("bad, message", [
    ("just a string", "iterable of token lists"),
    (["a bare string"], "sentence 1 is a bare string"),
    ([["ok"], ["fine", 3]], "sentence 2 has a token that is a int"),
    ([["ok"], [["nested"]]], "sentence 2 has a token that is a list"),
    ([["ok"], None], "sentence 2 is a NoneType"),
    ([[], []], "no tokens"),
])
def test_encode_sentences_bad_input_is_one_clear_error(bad, message):
    with pytest.raises(EmbedError, match=message):
        encode_sentences(bad)


def test_encode_sentences_with_a_vocabulary_still_checks_tokens():
    vocab = Vocabulary([UNK, "a"], [0, 1], tokens="split")
    with pytest.raises(EmbedError, match="token that is a float"):
        encode_sentences([["a", 1.5]], vocab=vocab)


def test_text_already_in_text8_form_takes_the_fast_path_with_the_same_result(tmp_path):
    pure = tmp_path / "pure.txt"  # only a-z, spaces and newlines: passed through as it is
    pure.write_text("the cat\nsat on\n\nthe mat the end\n" * 50)
    mixed = tmp_path / "mixed.txt"  # one capital letter: every block goes through the kernel
    mixed.write_text("The cat\nsat on\n\nthe mat the end\n"
                     + "the cat\nsat on\n\nthe mat the end\n" * 49)
    a, b = encode_corpus(pure, progress=False), encode_corpus(mixed, progress=False)
    assert a.vocab == b.vocab and a.ids.tolist() == b.ids.tolist()
    assert a.ends.tolist() == b.ends.tolist() == [2, 4, 8] + [k + 8 * i for i in range(1, 50)
                                                           for k in (2, 4, 8)]
