"""The pieces of embed.phrases on small hand-made inputs: pair counts, scores, joining, table."""
import math
from collections import Counter

import numpy as np
import pytest

from embed.errors import EmbedError
from embed.phrases import Phrases, PhraseSettings
from embed.phrases.joiner import join_greedy
from embed.phrases.pairs import PairTable
from embed.phrases.table import load_table


def test_pair_table_counts_equal_a_counter_and_grow_past_their_first_size():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 300, size=20_000).astype(np.int32)
    ends = np.sort(rng.choice(np.arange(1, 20_000), 500, replace=False)).astype(np.int64)
    ends = np.append(ends, 20_000)
    expected = Counter()
    start = 0
    for end in ends.tolist():
        expected.update(zip(ids[start:end - 1].tolist(), ids[start + 1:end].tolist()))
        start = end
    table = PairTable.counted(ids, ends)
    assert len(table) > 8192  # more pairs than the first allocation (20,000 // 4 -> 8192)
    a, b, counts = table.pairs()
    assert dict(zip(zip(a.tolist(), b.tolist()), counts.tolist())) == expected
    # first-seen order, and lookups find each pair at its index
    assert (int(a[0]), int(b[0])) == (int(ids[0]), int(ids[1]))
    np.testing.assert_array_equal(table.index(a, b), np.arange(len(a)))
    assert table.index([301], [0]).tolist() == [-1]


def test_one_giant_sentence_grows_the_table_mid_corpus():
    ids = np.arange(50_000, dtype=np.int32) % 9_973
    table = PairTable.counted(ids, np.array([10, 50_000], dtype=np.int64))
    assert len(table) == 9_973 and table.pairs()[2].sum() == 49_998


SMALL = [["a", "b"]] * 6 + [["a", "c"]] * 2  # a: 8, b: 6, c: 2; ab: 6, ac: 2; 16 words


def test_default_score_by_hand():
    model = Phrases(min_count=1, threshold=0.4).fit(SMALL)
    # 3 words + 2 bigrams = 5 keys; (count(ab) - min_count) / (count(a) count(b)) * 5
    assert model.len_vocab == 5
    assert model.phrases == {"a_b": (6 - 1) / (8 * 6) * 5}  # a_c: 1/16 * 5 = 0.3125 < 0.4
    assert Phrases(min_count=1, threshold=0.3).fit(SMALL).phrases["a_c"] == 0.3125
    # min_count is subtracted: with 6 a pair seen 6 times scores 0 and is never a phrase
    assert Phrases(min_count=6, threshold=1e-9).fit(SMALL).phrases == {}


def test_npmi_score_by_hand_and_min_count_is_a_floor():
    model = Phrases(min_count=1, threshold=0.0, scoring="npmi").fit(SMALL)
    pab, pa, pb = 6 / 16, 8 / 16, 6 / 16
    assert model.phrases["a_b"] == pytest.approx(math.log(pab / (pa * pb)) / -math.log(pab))
    assert set(Phrases(min_count=3, threshold=-1.0, scoring="npmi").fit(SMALL).phrases) == {"a_b"}


def test_no_bigram_across_a_sentence_end():
    model = Phrases(min_count=1, threshold=1e-6).fit([["a"], ["b"]] * 10 + [["c", "d"]] * 10)
    assert set(model.phrases) == {"c_d"}
    assert list(model.transform([["a", "b", "c", "d"], ["a"], ["b"]])) == [
        ["a", "b", "c_d"], ["a"], ["b"]]


def test_greedy_left_to_right_and_no_chaining_within_a_pass():
    # a_b and b_c are both phrases: "a b c" becomes a_b c, "b c a b" becomes b_c a_b
    model = Phrases(min_count=1, threshold=1e-6).fit([["a", "b"], ["b", "c"]] * 5)
    assert set(model.phrases) == {"a_b", "b_c"}
    assert list(model.transform([["a", "b", "c"], ["b", "c", "a", "b"], ["a", "b", "a", "b"]])) \
        == [["a_b", "c"], ["b_c", "a_b"], ["a_b", "a_b"]]
    assert join_greedy([1, 2, 3, 4], lambda x, y: x * 10 + y if (x, y) == (2, 3) else None) \
        == [1, 23, 4]


def test_settings_are_checked():
    for bad, message in [(dict(threshold=0), "positive"), (dict(threshold="x"), "number"),
                         (dict(threshold=float("nan")), "finite"),
                         (dict(scoring="npmi", threshold=1.5), "between -1 and 1"),
                         (dict(scoring="npmi", threshold=-1.01), "between -1 and 1"),
                         (dict(scoring="pmi"), "scoring"), (dict(min_count=0), "at least 1"),
                         (dict(min_count=2.5), "whole number"), (dict(delimiter=""), "empty")]:
        with pytest.raises(EmbedError, match=message):
            PhraseSettings(**bad)
    assert PhraseSettings(scoring="npmi", threshold=-1).threshold == -1.0


def test_api_errors():
    with pytest.raises(EmbedError, match="not fitted"):
        Phrases().phrases
    with pytest.raises(EmbedError, match="lists of tokens"):
        Phrases().fit(["new york city"])
    with pytest.raises(EmbedError, match="empty"):
        Phrases().fit([["a", "", "b"]])
    with pytest.raises(EmbedError, match="strings"):
        Phrases().fit([["a", 3]])


def test_table_round_trip_is_exact_and_bad_tables_are_one_line_errors(tmp_path):
    model = Phrases(min_count=1, threshold=0.3).fit(SMALL)
    model.save(tmp_path / "p.tsv")
    text = (tmp_path / "p.tsv").read_text()
    assert text == f"a_b\t{25 / 48!r}\na_c\t0.3125\n"  # highest score first
    assert load_table(tmp_path / "p.tsv") == model.phrases
    assert Phrases.load(tmp_path / "p.tsv", threshold=0.4).phrases == {"a_b": 25 / 48}
    for content, message in [("a_b 0.5\n", "line 1"), ("a_b\t0.5\nb_c\tlots\n", "line 2"),
                             ("a_b\tnan\n", "not a number")]:
        (tmp_path / "bad.tsv").write_text(content)
        with pytest.raises(EmbedError, match=message):
            Phrases.load(tmp_path / "bad.tsv")
    (tmp_path / "bin.tsv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(EmbedError, match="not UTF-8"):
        Phrases.load(tmp_path / "bin.tsv")
    with pytest.raises(EmbedError, match="not found"):
        Phrases.load(tmp_path / "missing.tsv")
    tabbed = Phrases(min_count=1, threshold=1e-6).fit([["a\tb", "c"]] * 3)
    with pytest.raises(EmbedError, match="tab"):
        tabbed.save(tmp_path / "t.tsv")
    assert not (tmp_path / "t.tsv").exists()
