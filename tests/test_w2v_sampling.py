import numpy as np
from numba import njit
import pytest

from embed.errors import EmbedError
from embed.w2v import sampling


COUNTS = np.array([50, 1000, 300, 100, 10, 1], dtype=np.int64)  # id 0 is UNK


def test_negative_table_follows_unigram_to_the_three_quarters_without_unk():
    table = sampling.negative_table(COUNTS, size=1_000_000)
    freq = np.bincount(table, minlength=len(COUNTS)) / len(table)
    want = COUNTS.astype(float) ** 0.75
    want[0] = 0
    want /= want.sum()
    np.testing.assert_allclose(freq, want, atol=2e-6)
    assert freq[0] == 0


def test_negative_table_keeps_unk_when_asked():
    table = sampling.negative_table(COUNTS, keep_unk=True, size=100_000)
    freq = np.bincount(table, minlength=len(COUNTS)) / len(table)
    want = COUNTS.astype(float) ** 0.75
    np.testing.assert_allclose(freq, want / want.sum(), atol=2e-5)
    np.testing.assert_allclose(sampling.negative_probabilities(COUNTS, keep_unk=True),
                               want / want.sum(), rtol=1e-12)


@njit
def _draws(table, n, state):
    out = np.empty(n, np.int32)
    for i in range(n):
        out[i], state = sampling.draw_negative(table, state)
    return out, state


def test_drawn_negatives_match_the_table_distribution():
    table = sampling.negative_table(COUNTS, size=100_000)
    out, state = _draws(table, 200_000, np.uint64(12345))
    assert state != 0
    freq = np.bincount(out, minlength=len(COUNTS)) / len(out)
    np.testing.assert_allclose(freq, sampling.negative_probabilities(COUNTS), atol=4e-3)


def test_keep_probability_is_word2vecs_formula():
    sample = 1e-2
    keep = sampling.keep_probabilities(COUNTS, sample)
    total = COUNTS[1:].sum()  # UNK is dropped from training, so it does not count
    thr = sample * total
    want = np.minimum(1.0, (np.sqrt(COUNTS / thr) + 1) * thr / COUNTS)
    np.testing.assert_allclose(keep, want, rtol=1e-6)
    assert keep[1] < 0.5 and keep[-1] == 1.0
    # a trained UNK counts in N like any word
    thr = sample * COUNTS.sum()
    np.testing.assert_allclose(sampling.keep_probabilities(COUNTS, sample, keep_unk=True),
                               np.minimum(1.0, (np.sqrt(COUNTS / thr) + 1) * thr / COUNTS),
                               rtol=1e-6)
    assert np.all(sampling.keep_probabilities(COUNTS, 0) == 1)


def test_subsampling_keeps_each_word_at_its_probability_and_drops_unk():
    keep = np.array([1.0, 0.25, 0.8, 1.0], np.float32)
    ids = np.tile(np.arange(4, dtype=np.int32), 50_000)
    out, lo, hi = (np.empty_like(ids) for _ in range(3))
    ends = np.array([len(ids)], np.int32)
    n, _ = sampling.subsample(ids, ends, keep, False, np.uint64(7), out, lo, hi)
    kept = np.bincount(out[:n], minlength=4) / 50_000
    assert kept[0] == 0
    np.testing.assert_allclose(kept[1:], keep[1:], atol=0.01)
    n2, _ = sampling.subsample(ids, ends, keep, True, np.uint64(7), out, lo, hi)
    assert np.count_nonzero(out[:n2] == 0) == 50_000


def test_subsampling_records_each_kept_words_sentence():
    """Sentence ends map to kept positions: a window looks no further than lo/hi."""
    keep = np.array([1.0, 1.0, 1.0], np.float32)
    ids = np.array([1, 0, 2, 2, 1, 0, 0, 1, 2], np.int32)   # UNKs are dropped
    ends = np.array([3, 5, 7, 9], np.int32)                 # the third sentence is all UNK
    out, lo, hi = (np.empty(9, np.int32) for _ in range(3))
    n, _ = sampling.subsample(ids, ends, keep, False, np.uint64(3), out, lo, hi)
    assert out[:n].tolist() == [1, 2, 2, 1, 1, 2]
    assert lo[:n].tolist() == [0, 0, 2, 2, 4, 4] and hi[:n].tolist() == [2, 2, 4, 4, 6, 6]
    assert sampling.window_span(1, 5, lo, hi) == (0, 2)
    assert sampling.window_span(3, 1, lo, hi) == (2, 4)


def test_only_unk_cannot_be_sampled():
    with pytest.raises(EmbedError):
        sampling.negative_table(np.array([10, 0]))


def test_chunk_seeds_differ_and_are_never_zero():
    seeds = {sampling.chunk_seed(1, e, c) for e in range(3) for c in range(100)}
    assert len(seeds) == 300 and 0 not in seeds
