import gzip
import io
import os
import sys

import numpy as np
import pytest

from embed.data import cache, encode
from embed.data.encode import encode_corpus, load_corpus
from embed.data.vocab import UNK, Vocabulary, rank_words
from embed.data.wordtable import WordTable
from embed.errors import EmbedError


def corpus(tmp_path, seed=0, n=5000, name="c.txt"):
    rng = np.random.default_rng(seed)
    words = [f"w{k:03d}".translate(str.maketrans("0123456789", "abcdefghij"))
             for k in rng.zipf(1.3, n) % 400]
    f = tmp_path / name
    f.write_text(" ".join(words))
    return f, words


def test_ids_match_vocabulary_built_from_the_tokens(tmp_path):
    f, words = corpus(tmp_path)
    vocab, ids = load_corpus(f, vocab_size=50, progress=False)
    assert vocab == Vocabulary.from_tokens(words, size=50)
    assert ids.dtype == np.int32 and ids.shape == (len(words),)
    np.testing.assert_array_equal(ids, vocab.encode(words))
    assert vocab.counts[0] == (ids == 0).sum() > 0  # UNK counts the words outside
    assert vocab.total == len(words)


def test_min_count(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("a a a b b c d d d d")
    vocab, ids = load_corpus(f, min_count=2, progress=False)
    assert vocab.words == [UNK, "d", "a", "b"]
    assert list(vocab.counts) == [1, 4, 3, 2]
    assert ids.tolist() == [2, 2, 2, 3, 3, 0, 1, 1, 1, 1]


def test_word_unk_in_text_counts_as_unk(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("unk UNK x x")  # normalised to lowercase "unk": an ordinary word
    vocab, ids = load_corpus(f, progress=False)
    assert vocab.words == [UNK, "unk", "x"] or vocab.words == [UNK, "x", "unk"]
    assert vocab.counts[0] == 0


def test_second_call_hits_the_cache_and_a_changed_file_invalidates_it(tmp_path, monkeypatch):
    f, words = corpus(tmp_path)
    v1, ids1 = load_corpus(f, vocab_size=30, progress=False)
    assert isinstance(ids1, np.memmap) or isinstance(ids1.base, np.memmap)
    calls = []
    real = encode.count_and_encode
    monkeypatch.setattr(encode, "count_and_encode", lambda *a, **k: calls.append(1) or real(*a, **k))
    v2, ids2 = load_corpus(f, vocab_size=30, progress=False)
    assert calls == [] and v2 == v1
    np.testing.assert_array_equal(ids2, ids1)
    assert not ids2.flags.writeable

    load_corpus(f, vocab_size=40, progress=False)  # other settings: another cache entry
    assert calls == [1]
    assert len(list(tmp_path.glob("c.txt.*.ids.npy"))) == 2

    f.write_text("brand new words brand")
    os.utime(f, ns=(1, 1))
    v3, ids3 = load_corpus(f, vocab_size=30, progress=False)
    assert calls == [1, 1]
    assert v3.words == [UNK, "brand", "new", "words"] and ids3.tolist() == [1, 2, 3, 1]
    # caches of the old file version are gone; only the new one is left
    assert len(list(tmp_path.glob("c.txt.*.ids.npy"))) == 1


def test_damaged_cache_is_rebuilt(tmp_path):
    f, words = corpus(tmp_path)
    v1, ids1 = load_corpus(f, vocab_size=30, progress=False)
    ids1 = np.array(ids1)  # a copy: the mapped file is about to be replaced
    ids_path = cache.cache_files(f, cache.settings_key("words", 30, 1, None)).ids
    np.save(tmp_path / "bad.npy", np.arange(3, dtype=np.int64))
    os.replace(tmp_path / "bad.npy", ids_path)
    v2, ids2 = load_corpus(f, vocab_size=30, progress=False)
    assert v2 == v1
    np.testing.assert_array_equal(ids2, ids1)


def test_cache_goes_to_data_dir_when_corpus_dir_is_read_only(tmp_path, monkeypatch):
    f, _ = corpus(tmp_path)
    real_access = os.access
    monkeypatch.setattr(encode.os, "access",
                        lambda p, m: False if os.path.samefile(p, tmp_path) else real_access(p, m))
    load_corpus(f, vocab_size=30, data_dir=tmp_path / "dd", progress=False)
    assert len(list((tmp_path / "dd" / "cache").glob("c.txt.*.ids.npy"))) == 1
    assert not list(tmp_path.glob("c.txt.*"))


def test_given_vocabulary_encodes_new_text(tmp_path):
    f = tmp_path / "new.txt"
    f.write_text("the cat sat on the mat")
    vocab = Vocabulary([UNK, "the", "cat", "Dog", "dog", "a b", "naïve"], [0, 5, 3, 2, 2, 1, 1])
    v, ids = load_corpus(f, vocab=vocab, progress=False)
    assert v is vocab
    assert ids.tolist() == [1, 2, 0, 0, 1, 0]
    v, ids = load_corpus(f, vocab=vocab, progress=False)  # cached, same answer
    assert v is vocab and ids.tolist() == [1, 2, 0, 0, 1, 0]
    f.write_text("cat dog naive")  # only the vocabulary's own spellings match
    assert load_corpus(f, vocab=vocab, progress=False)[1].tolist() == [2, 4, 0]
    f.write_text("cat Dog naïve")  # the words rule lowers Dog; "a b" can never be one token
    assert load_corpus(f, vocab=vocab, progress=False)[1].tolist() == [2, 4, 6]
    with pytest.raises(EmbedError, match="made with tokens=words, not tokens=split"):
        load_corpus(f, vocab=vocab, tokens="split", progress=False)


def test_gz_directory_and_stdin_sources(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt.gz").write_bytes(gzip.compress(b"x y y"))
    (tmp_path / "d" / "b.txt").write_text("z z z")
    v, ids = load_corpus(tmp_path / "d", progress=False)
    assert v.words == [UNK, "z", "y", "x"] and ids.tolist() == [3, 2, 2, 1, 1, 1]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"q r r")))
    v, ids = load_corpus("-", progress=False)
    assert v.words == [UNK, "r", "q"] and ids.tolist() == [2, 1, 1]
    assert not list(tmp_path.glob("-*"))  # stdin is never cached


def test_progress_bar_and_many_small_blocks_give_same_result(tmp_path, monkeypatch):
    f, words = corpus(tmp_path, n=20000)
    v, ids, ends, _ = encode.count_and_encode(f, vocab_size=100, progress=True)
    from embed.data.corpus import CorpusReader

    monkeypatch.setattr(encode, "CorpusReader", lambda src, tokens: CorpusReader(src, tokens, 5))
    v2, ids2, ends2, _ = encode.count_and_encode(f, vocab_size=100, progress=False)
    assert v2 == v and np.array_equal(ids2, ids) and np.array_equal(ends2, ends)
    assert v == Vocabulary.from_tokens(words, size=100)


def test_word_table_grows_and_keeps_ids():
    rng = np.random.default_rng(1)
    words = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(1, 30)))
             for _ in range(3000)]
    table = WordTable(capacity=4)  # forces many rehashes and arena growth
    ids = table.ids(" ".join(words).encode())
    uniq = list(dict.fromkeys(words))
    assert table.words() == uniq
    assert ids.tolist() == [uniq.index(w) for w in words]
    assert table.counts[: len(table)].tolist() == [words.count(w) for w in uniq]
    again = table.ids(b"  " + " ".join(reversed(words)).encode() + b" nope", insert=False)
    assert again.tolist() == [uniq.index(w) for w in reversed(words)] + [-1]
    assert len(table) == len(uniq)


@pytest.mark.parametrize("size, min_count", [(2, 1), (5, 1), (12, 1), (12, 3), (1000, 2)])
def test_fast_ranking_keeps_the_most_frequent_words_ties_by_word(size, min_count):
    rng = np.random.default_rng(size)
    words = [f"w{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(60)]
    counts = rng.integers(1, 6, len(words))  # many ties at every count
    vocab, order = rank_words(words, counts, size, min_count)
    # the rule written out plainly: (-count, word) order, the first size - 1 with min_count
    ranked = sorted((-c, w) for w, c in zip(words, counts.tolist()) if c >= min_count)[:size - 1]
    assert vocab.words == [UNK] + [w for _, w in ranked]
    assert vocab.counts.tolist() == [int(counts.sum()) + sum(c for c, _ in ranked)] + \
        [-c for c, _ in ranked]
    assert vocab == Vocabulary.from_counts(dict(zip(words, counts.tolist())), size, min_count)
    assert [words[i] for i in order] == vocab.words[1:]


def test_errors(tmp_path):
    (tmp_path / "empty.txt").write_text(" \n ")
    with pytest.raises(EmbedError, match="no words"):
        load_corpus(tmp_path / "empty.txt", progress=False)
    with pytest.raises(EmbedError, match="not found"):
        load_corpus(tmp_path / "nope.txt", progress=False)
    with pytest.raises(EmbedError, match="at least 2"):
        load_corpus(tmp_path / "empty.txt", vocab_size=1, progress=False)
    with pytest.raises(EmbedError, match="min_count"):
        load_corpus(tmp_path / "empty.txt", min_count=0, progress=False)


def test_interrupted_cache_write_leaves_no_cache_file(tmp_path, monkeypatch):
    f, words = corpus(tmp_path)

    def interrupted_save(path, array):
        open(path, "wb").write(b"\x93NUMPY half")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        load_corpus(f, vocab_size=30, progress=False)
    assert not list(tmp_path.glob("*.npy")) and not list(tmp_path.glob(".*tmp*"))
    monkeypatch.undo()
    vocab, ids = load_corpus(f, vocab_size=30, progress=False)  # vocab file alone is not trusted
    np.testing.assert_array_equal(ids, vocab.encode(words))


def test_issue13_item2_a_huge_word_cannot_make_the_word_table_loop():
    # 3 MB in one word: the arena must grow to fit it (it once stopped growing and reported
    # "full" forever); the corpus reader cuts such words anyway, this is the table alone.
    table = WordTable(capacity=4)
    huge = b"q" * 3_000_000
    ids = table.ids(b"a " + huge + b" a b")
    assert ids.tolist() == [0, 1, 0, 2] and table.words([1])[0].encode() == huge


def test_issue13_item2_a_huge_word_in_a_corpus_is_cut_and_counted(tmp_path):
    f = tmp_path / "c.txt"
    f.write_bytes(b"one " + b"x" * 2_500_000 + b" two one")
    c = encode_corpus(f, progress=False)
    assert c.vocab.words == [UNK, "one", "two", "x" * 100] and c.cut_tokens == 1
    assert encode_corpus(f, progress=False).cut_tokens == 1  # from the cache, too


def test_vocabulary_records_its_rule_and_old_files_load_as_text8(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("Ünïcode Ünïcode text")
    for rule, first in [("words", "ünïcode"), ("text8", "code"), ("split", "Ünïcode")]:
        c = encode_corpus(f, tokens=rule, progress=False)
        assert c.tokens == c.vocab.tokens == rule and c.vocab.words[1] == first
        c.vocab.save(tmp_path / "v.tsv")
        assert (tmp_path / "v.tsv").read_text().splitlines()[0] == f"# tokens={rule}"
        assert Vocabulary.load(tmp_path / "v.tsv") == c.vocab
    (tmp_path / "old.tsv").write_text("UNK\t0\nthe\t5\n")
    assert Vocabulary.load(tmp_path / "old.tsv").tokens == "text8"
    (tmp_path / "future.tsv").write_text("# tokens=bpe other=1\nUNK\t0\n")
    with pytest.raises(EmbedError, match="unknown tokens rule 'bpe'"):
        Vocabulary.load(tmp_path / "future.tsv")


def test_split_rule_keeps_a_literal_UNK_token_out_of_the_vocabulary(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("UNK a UNK b a")
    c = encode_corpus(f, tokens="split", progress=False)
    assert c.vocab.words == [UNK, "a", "b"] and c.vocab.counts.tolist() == [2, 2, 1]
    assert c.ids.tolist() == [0, 1, 0, 2, 1]


def test_max_words_keeps_a_prefix_with_the_whole_corpus_vocabulary(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("a b c\nd e f\n" * 1000)
    whole = encode_corpus(f, progress=False)
    c = encode_corpus(f, max_words=4, progress=False)
    assert c.vocab == whole.vocab and c.ids.tolist() == whole.ids[:4].tolist()
    assert c.ends.tolist() == [3, 4] and c.fingerprint == whole.fingerprint
    assert encode_corpus(f, max_words=10**9, progress=False).ends.tolist() == whole.ends.tolist()
    with pytest.raises(EmbedError, match="max_words"):
        encode_corpus(f, max_words=0, progress=False)
