"""Many threads on one pair of tables train as well as one thread (issue 14's quality guard).

Every word of the synthetic topic corpus is a "hot" row (16 words), and 500-word chunks keep
16 threads busy at once, so rows are read stale by other threads' updates all the time. A
scheme that keeps per-thread replicas of hot rows and sums their changes acts like a learning
rate multiplied by the thread count on those rows (it diverges); one that averages them acts
like a rate divided by it (the topics barely separate). The last test shows that this guard's
measure catches both.
"""
import numpy as np
import pytest

from embed.errors import EmbedError
from embed.w2v.train import train
from w2v_corpus import topic_corpus, topic_margin

ALPHA = {"skipgram": 0.025, "cbow": 0.05}
TOLERANCE = 0.15   # topic margins of 1.2-1.7; seeds and thread counts move them by < 0.1


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus(60_000, seed=3)


def fit(corpus, model, threads, alpha_scale=1.0, context_rows="shared"):
    vocab, ids = corpus
    return train(ids, vocab, model=model, epochs=3, dim=16, window=3, sample=0,
                 chunk_words=500, threads=threads, alpha=ALPHA[model] * alpha_scale,
                 context_rows=context_rows, seed=1)


def last_loss(model) -> float:
    return float(np.mean(model.history[-5:, 1]))


@pytest.mark.parametrize("context_rows", ["shared", "window"])
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_sixteen_threads_train_as_well_as_one(corpus, model, context_rows):
    one = fit(corpus, model, 1)
    many = fit(corpus, model, 16, context_rows=context_rows)
    assert np.isfinite(many.vectors).all() and np.isfinite(many.output).all()
    assert topic_margin(many) > topic_margin(one) - TOLERANCE
    assert abs(last_loss(many) - last_loss(one)) < 0.02


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_the_guard_catches_summed_and_averaged_replicas(corpus, model):
    one = fit(corpus, model, 1)
    averaged = fit(corpus, model, 1, alpha_scale=1 / 16)
    assert topic_margin(averaged) < topic_margin(one) - TOLERANCE
    with pytest.raises(EmbedError, match="diverged"):
        fit(corpus, model, 1, alpha_scale=16)


def cyclic_corpus(V=200, n=30_000):
    """Words 1..V-1 in a fixed cycle: no word occurs twice within V-1 positions."""
    from embed.data.vocab import Vocabulary

    vocab = Vocabulary(["UNK"] + [f"w{i}" for i in range(1, V)], [0] + [n // V] * (V - 1))
    ids = (np.arange(n) % (V - 1) + 1).astype(np.int32)
    return vocab, ids


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_window_rows_equal_shared_rows_when_no_word_repeats_within_reach(model):
    """With one thread the ring only changes what a position sees of another position of the
    same word; where no word repeats within the ring's reach the two train the same vectors,
    which checks that every position is loaded before use and stored exactly once."""
    vocab, ids = cyclic_corpus()
    ends = np.array([997, 1000, 7_001, 18_000, 30_000], np.int64)   # a 3-word sentence too
    runs = {}
    for rows in ("shared", "window"):
        runs[rows] = train(ids, vocab, ends=ends, model=model, epochs=2, dim=12, window=4,
                           negative=3, sample=0, chunk_words=2_500, threads=1, seed=2,
                           context_rows=rows)
    shared, window = runs["shared"], runs["window"]
    assert not np.allclose(shared.vectors, train(ids, vocab, model=model, epochs=1, dim=12,
                                                 sample=0, threads=1, seed=2).vectors, atol=1e-3)
    # float rounding only: the ring adds (copy - original) where shared rows add each step
    # (a position stored twice or never would move rows by whole updates, ~0.01-1)
    np.testing.assert_allclose(window.vectors, shared.vectors, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(window.output, shared.output, rtol=1e-3, atol=1e-4)


def test_window_rows_are_an_option_of_the_batched_sgd_kernels():
    from embed.w2v.settings import TrainSettings

    for bad in (dict(kernel="classic"), dict(optimizer="adam"),
                dict(lr_schedule="hypergradient")):
        with pytest.raises(EmbedError, match="context-rows window"):
            TrainSettings(context_rows="window", **bad)
    with pytest.raises(EmbedError, match="unknown context-rows"):
        TrainSettings(context_rows="ring")
    assert TrainSettings.from_dict({**TrainSettings().to_dict(), "context_rows": "window"}
                                   ).context_rows == "window"
