"""fastText's character n-grams and their hashed rows, checked against gensim's and Facebook
fastText's own implementations."""
import numpy as np
import pytest
from fasttext_corpus import BASE, OOV, train_tiny
from gensim.models.fasttext import compute_ngrams_bytes, ft_ngram_hashes
from gensim.models.fasttext_inner import ft_hash_bytes

from embed.errors import EmbedError
from embed.subwords.ngrams import (EOS, char_ngrams, check_ngram_settings, encode_word, fnv1a,
                                   ngram_rows, subword_table)

WORDS = BASE + OOV + ["", "q", "hello", "x" * 30, "àéîõü", "Ελληνικά", "한국어", "ﬁ",
                      "a\u0301b"]  # a decomposed accent: the combining mark is its own char
RANGES = [(3, 6), (1, 1), (0, 6), (1, 3), (2, 2), (3, 3), (5, 6), (6, 3), (3, 0), (1, 30)]


def test_fnv1a_is_the_standard_hash_on_ascii():
    # published FNV-1a 32-bit test vectors: ASCII bytes are < 0x80, so the signed-char cast
    # does not change them
    assert fnv1a(b"") == 0x811C9DC5
    assert fnv1a(b"a") == 0xE40C292C
    assert fnv1a(b"foobar") == 0xBF9CF968


def _fnv1a_unsigned(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


@pytest.mark.parametrize("word", ["é", "café", "москва", "東京", "😀"])
def test_fnv1a_widens_bytes_as_signed_chars_like_gensim(word):
    data = word.encode()
    assert fnv1a(data) == ft_hash_bytes(data)
    assert fnv1a(data) != _fnv1a_unsigned(data)  # the quirk is really exercised


@pytest.mark.parametrize("minn,maxn", RANGES)
def test_char_ngrams_are_gensims(minn, maxn):
    for w in WORDS:
        expected = [g.decode() for g in compute_ngrams_bytes(w, minn, maxn)]
        assert char_ngrams(w, minn, maxn) == expected, w


@pytest.mark.parametrize("minn,maxn", RANGES)
@pytest.mark.parametrize("bucket", [2_000_000, 2000, 7, 1])
def test_ngram_rows_are_gensims_hashes(minn, maxn, bucket):
    nwords = 123
    for w in WORDS:
        expected = [nwords + h for h in ft_ngram_hashes(w, minn, maxn, bucket)]
        got = ngram_rows(w, minn, maxn, bucket, nwords)
        assert got.dtype == np.int32
        assert got.tolist() == expected, w


def test_ngrams_count_characters_not_bytes():
    # "東京" is 6 bytes but 2 characters: <東京> has 4 characters, so n <= 4 covers it all
    assert char_ngrams("東京", 4, 6) == ["<東京>"]
    assert len(ngram_rows("東京", 4, 6, 1000, 0)) == 1
    assert char_ngrams("ab", 3, 6) == ["<ab", "<ab>", "ab>"]  # the whole <ab> is kept
    assert char_ngrams("ab", 1, 1) == ["a", "b"]  # lone markers are not n-grams


def test_no_ngrams_when_switched_off():
    assert ngram_rows("hello", 3, 0, 1000, 5).size == 0  # maxn 0: fastText's switch
    assert ngram_rows("hello", 3, 6, 0, 5).size == 0  # bucket 0: gensim's
    assert ngram_rows("hello", 6, 3, 1000, 5).size == 0  # empty range
    assert ngram_rows(EOS, 3, 6, 1000, 5).size == 0  # fastText's end-of-line token
    assert ngram_rows("hello", 0, 6, 1000, 5).tolist() == ngram_rows("hello", 1, 6, 1000,
                                                                     5).tolist()


def test_subword_table_layout():
    words = [w for w in dict.fromkeys(WORDS) if w] + [EOS]
    offsets, ids = subword_table(words, 3, 6, 2000)
    assert offsets.dtype == np.int64 and ids.dtype == np.int32
    assert offsets.shape == (len(words) + 1,) and offsets[0] == 0 and offsets[-1] == len(ids)
    n = len(words)
    for i, w in enumerate(words):
        own = ids[offsets[i]:offsets[i + 1]].tolist()
        expected = [] if w == EOS else [n + h for h in ft_ngram_hashes(w, 3, 6, 2000)]
        assert own == [i] + expected, w


def test_bare_words_own_only_their_row():
    offsets, ids = subword_table(["UNK", "hello", EOS], 3, 6, 2000, bare=("UNK", EOS))
    assert ids[offsets[0]:offsets[1]].tolist() == [0]
    assert ids[offsets[1]:offsets[2]].tolist() == [1] + [3 + h for h in ft_ngram_hashes(
        "hello", 3, 6, 2000)]
    assert ids[offsets[2]:offsets[3]].tolist() == [2]


def test_subword_table_of_many_words():
    rng = np.random.default_rng(0)
    letters = list("abcdefghijklmnopqrstuvwxyzéжы東")
    words = list(dict.fromkeys("".join(rng.choice(letters, rng.integers(1, 12)))
                               for _ in range(3000)))
    offsets, ids = subword_table(words, 3, 6, 2_000_000)
    pick = rng.choice(len(words), 200, replace=False)
    for i in pick.tolist():
        w = words[i]
        assert ids[offsets[i]:offsets[i + 1]].tolist() == [i] + [
            len(words) + h for h in ft_ngram_hashes(w, 3, 6, 2_000_000)]


def test_undecodable_bytes_hash_as_the_original_bytes():
    # a word read from a file with the byte 0xE9 alone (Latin-1 "é") comes back through
    # surrogateescape; it must hash as that byte, which is one "character" to fastText
    word = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert encode_word(word) == b"caf\xe9"
    rows = ngram_rows(word, 3, 6, 2_000_000, 0).tolist()
    assert rows[0] == fnv1a(b"<ca") % 2_000_000
    assert fnv1a(b"f\xe9>") % 2_000_000 in rows
    assert len(rows) == len(char_ngrams("cafe", 3, 6))


@pytest.mark.parametrize("minn,maxn", [(3, 6), (1, 3), (2, 2), (1, 1), (4, 4)])
def test_rows_are_fasttexts_get_subwords(tmp_path, minn, maxn):
    model, _ = train_tiny(tmp_path, minn=minn, maxn=maxn)
    words = model.get_words()
    nwords = len(words)
    offsets, ids = subword_table(words, minn, maxn, 2000)
    for i, w in enumerate(words):
        strings, rows = model.get_subwords(w)
        assert ids[offsets[i]:offsets[i + 1]].tolist() == rows.tolist(), w
        if w != EOS:
            assert strings == [w] + char_ngrams(w, minn, maxn)
    for w in OOV:
        strings, rows = model.get_subwords(w)
        assert ngram_rows(w, minn, maxn, 2000, nwords).tolist() == rows.tolist(), w
        assert strings == char_ngrams(w, minn, maxn)


def test_maxn_zero_matches_fasttext(tmp_path):
    model, _ = train_tiny(tmp_path, maxn=0)
    words = model.get_words()
    offsets, ids = subword_table(words, 3, 0, 0)
    assert offsets.tolist() == list(range(len(words) + 1)) and ids.tolist() == list(
        range(len(words)))
    for w in OOV:
        assert model.get_subwords(w)[1].size == 0
        assert ngram_rows(w, 3, 0, 0, len(words)).size == 0


@pytest.mark.parametrize("minn,maxn,bucket,words,msg", [
    (4, 3, 10, 0, "is empty"),
    (0, 3, 10, 0, "is empty"),
    (3, 6, 0, 0, "bucket 0"),
    (-1, 6, 10, 0, "minn must be"),
    (3, 6, 2**31 - 10, 50, "exceed"),
])
def test_nonsense_settings_are_one_line(minn, maxn, bucket, words, msg):
    with pytest.raises(EmbedError, match=msg) as e:
        check_ngram_settings(minn, maxn, bucket, words)
    assert "\n" not in str(e.value)


def test_sensible_settings_pass():
    check_ngram_settings(3, 6, 2_000_000, 50_000)
    check_ngram_settings(3, 0, 0)  # no n-grams
    check_ngram_settings(1, 1, 1)
