"""The subword (fastText) kernels compute the update that the layered embed.nn path computes:
one block, one CBOW centre step, and whole chunks, with plain SGD."""
import numpy as np
import pytest

from embed.nn.bag import EmbeddingBag
from embed.nn.gradcheck import layer_gradient_errors
from embed.nn.losses import negative_sampling_loss
from embed.nn.optimizers import get_optimizer
from embed.w2v.kernels_subword_cbow import cbow_subword_step
from embed.w2v.kernels_subword_sg import sg_subword_block
from embed.w2v.subword_rows import compose, ngram_csr, row_sum, word_bags

from w2v_layered import run_chunks

WORDS = ["UNK", "the", "cat", "cats", "catalog", "dog", "dogma", "a", "über", "東京"]
V, B, DIM, LR = len(WORDS), 40, 8, 0.05


def tables(seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.normal(0, 0.3, shape).astype(np.float32)
                 for shape in ((V, DIM), (B, DIM), (V, DIM)))


@pytest.fixture(scope="module")
def csr():
    return ngram_csr(WORDS, 2, 4, B)   # a small bucket: colliding and repeated n-gram rows


def test_embedding_bag_means_rows_across_tables_and_its_gradient_checks():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((6, 3))
    bag = EmbeddingBag([a, b])
    ids = np.array([0, 5, 5, 9, 2, 4, 1])   # 4.. are b's rows; b's row 1 (5) twice
    offsets = np.array([0, 4, 4, 7])        # an empty bag in the middle
    out = bag.forward((ids, offsets))
    both = np.vstack([a, b])
    np.testing.assert_allclose(out[0], both[[0, 5, 5, 9]].mean(axis=0))
    np.testing.assert_array_equal(out[1], np.zeros(3))
    np.testing.assert_allclose(out[2], both[[2, 4, 1]].mean(axis=0))
    errors = layer_gradient_errors(bag, (ids, offsets))
    assert set(errors) == {"param0", "param1"} and max(errors.values()) < 1e-6, errors
    rows_b = bag.grads()[1].rows.tolist()
    assert sorted(rows_b) == [0, 1, 1, 5]   # only the used rows of b, repeats kept


def test_the_csr_holds_fasttexts_rows(csr):
    from embed.subwords.ngrams import ngram_rows

    noff, nrows = csr
    assert noff[1] == noff[0] == 0          # UNK owns its row alone
    for w, word in enumerate(WORDS[1:], 1):
        expected = ngram_rows(word, 2, 4, B, V) - V
        assert nrows[noff[w]:noff[w + 1]].tolist() == expected.tolist()
    ids, offsets = word_bags(np.array([2, 0]), noff, nrows, V)
    assert ids[offsets[0]] == 2 and offsets[2] - offsets[1] == 1 and ids[-1] == 0
    syn0, ngr, _ = tables()
    h = np.empty(DIM, np.float32)
    k = compose(syn0, ngr, noff, nrows, 4, h)
    bag = EmbeddingBag([syn0, ngr]).forward(word_bags(np.array([4]), noff, nrows, V))
    assert k == 1 + noff[5] - noff[4]
    np.testing.assert_allclose(h, bag[0], rtol=1e-6, atol=1e-7)
    s = np.empty(DIM, np.float32)
    assert row_sum(syn0, ngr, noff, nrows, 4, s) == k
    np.testing.assert_allclose(s, k * bag[0], rtol=1e-5, atol=1e-6)


def layered_step(syn0, ngr, syn1, words, per_example, targets, mask, noff, nrows):
    """EmbeddingBag over (word rows, n-gram rows) -> negative_sampling_loss -> SGD, the whole
    gradient of each bag's mean to every one of its rows (fastText's convention)."""
    bag = EmbeddingBag([syn0, ngr])
    ids, offsets = word_bags(words, noff, nrows, V)
    offsets = offsets[np.concatenate(([0], np.cumsum(per_example)))]
    h = bag.forward((ids, offsets))
    loss, dh, gout = negative_sampling_loss(h, syn1, targets, reduction="sum", mask=mask)
    bag.backward(dh * np.diff(offsets)[:, None].astype(np.float32))
    get_optimizer("sgd", lr=LR).step([syn0, ngr, syn1], bag.grads() + [gout])
    return loss


@pytest.mark.parametrize("share", [1, 3, 10])
def test_skipgram_block_equals_the_layered_step(csr, share):
    noff, nrows = csr
    syn0, ngr, syn1 = tables()
    a0, an, a1 = syn0.copy(), ngr.copy(), syn1.copy()
    w = 4                                        # "catalog": many n-grams
    ctx = np.array([2, 5, 2, 9], np.int32)       # a repeated context
    sets = -(-4 // share)
    # negatives equal to contexts, a repeat
    negs = np.array([5, 7, 7, 1, 2, 9, 2, 3, 6, 8, 2, 2, 5, 5, 1, 1, 4, 4, 3, 2], np.int32)
    h, grad = np.empty(DIM, np.float32), np.empty(DIM, np.float32)
    g, tgt = np.empty(4 + 4 * 5, np.float32), np.empty(4 + 4 * 5, np.int32)
    fused = sg_subword_block(a0, an, a1, noff, nrows, w, ctx, 4, negs, 5, share,
                             np.float32(LR), h, grad, g, tgt, True)
    pair_negs = negs[:sets * 5].reshape(sets, 5)[np.arange(4) // share]
    targets = np.column_stack([ctx, pair_negs])
    mask = (targets != targets[:, :1]).astype(np.float32)
    mask[:, 0] = 1
    layered = layered_step(syn0, ngr, syn1, np.full(4, w), np.ones(4, int), targets, mask,
                           noff, nrows)
    for x, y in ((a0, syn0), (an, ngr), (a1, syn1)):
        np.testing.assert_allclose(x, y, atol=2e-6)
    np.testing.assert_allclose(fused, layered, rtol=1e-5)
    assert not np.allclose(an, tables()[1])     # the n-gram rows moved
    untouched = np.setdiff1d(np.arange(V), np.concatenate([ctx, negs[:sets * 5]]))
    np.testing.assert_array_equal(a1[untouched], tables()[2][untouched])


def test_cbow_centre_step_and_flush_equal_the_layered_step(csr):
    """Composing the context words, one centre's step and flushing their gradients equal one
    layered step on the bag of all their rows when nothing else happens in between."""
    from embed.w2v.kernels_subword_cbow import enter, flush

    noff, nrows = csr
    syn0, ngr, syn1 = tables(2)
    a0, an, a1 = syn0.copy(), ngr.copy(), syn1.copy()
    buf = np.array([3, 8, 6, 3, 1], np.int32)   # position 2 is the centre ("dogma")
    R = 8                                       # the kernels' ring: a power of two
    U, E = np.zeros((R, DIM), np.float32), np.zeros((R, DIM), np.float32)
    kc = np.zeros(R, np.int64)
    ctxpos = [0, 1, 3, 4]
    for j in ctxpos:
        enter(a0, an, noff, nrows, buf, j, U, E, kc)
    slots = np.array([j & (R - 1) for j in ctxpos], np.int32)
    negs = np.array([6, 2, 2], np.int32)         # the centre drawn as a negative, a repeat
    h, grad, g = (np.empty(DIM, np.float32), np.empty(DIM, np.float32),
                  np.empty(4, np.float32))
    fused = cbow_subword_step(a1, U, E, kc, slots, 4, 6, negs, 3, np.float32(LR), h, grad, g,
                              np.empty(4, np.int32), True)
    for j in ctxpos:
        flush(a0, an, noff, nrows, buf, j, E)
    targets = np.array([[6, 6, 2, 2]])
    mask = (targets != 6).astype(np.float32)
    mask[:, 0] = 1
    layered = layered_step(syn0, ngr, syn1, buf[ctxpos], np.array([4]), targets, mask, noff,
                           nrows)
    for x, y in ((a0, syn0), (an, ngr), (a1, syn1)):
        np.testing.assert_allclose(x, y, atol=2e-6)
    np.testing.assert_allclose(fused, layered, rtol=1e-5)


@pytest.mark.parametrize("model_name,share", [("skipgram", 3), ("skipgram", 10), ("cbow", 5)])
def test_fused_and_layered_paths_train_the_same_subword_vectors(model_name, share):
    """Whole chunks: the walkers draw the kernels' windows, subsampling and negatives, and the
    layered path steps as the kernels do (a block; CBOW's composition ring), so both train the
    same word, n-gram and output rows."""
    from embed.w2v import sampling
    from embed.w2v.checkpoint import fresh_start
    from embed.w2v.fused import worker_factory
    from embed.w2v.layered_subword import SubwordLayeredTrainer
    from embed.w2v.settings import TrainSettings

    from w2v_corpus import topic_corpus

    vocab, ids = topic_corpus(3_000, size=14)
    ends = np.array([700, 1500, 1501, 2200, 3000], np.int64)
    st = TrainSettings(model=model_name, dim=10, window=6, negative=6, sample=1e-2, epochs=1,
                       seed=5, chunk_words=1_000, minn=2, maxn=4, bucket=97, neg_share=share)
    keep = sampling.keep_probabilities(vocab.counts, st.sample)
    table = sampling.negative_table(vocab.counts)
    fused = fresh_start(vocab, st).model
    layered = fresh_start(vocab, st).model
    run_chunks(st, ids, ends, worker_factory(fused, keep, table, st, 1_500)())
    fused.sync_tables()     # the kernels trained a packed copy of the n-gram rows
    trainer = SubwordLayeredTrainer(layered, keep, table, st, st.alpha, 1_500, block_steps=True)
    run_chunks(st, ids, ends, trainer.run)
    start = fresh_start(vocab, st).model
    assert not np.allclose(fused.arrays["ngrams"], start.arrays["ngrams"], atol=1e-3)
    np.testing.assert_allclose(fused.vectors, layered.vectors, atol=2e-5)
    np.testing.assert_allclose(fused.arrays["ngrams"], layered.arrays["ngrams"], atol=2e-5)
    np.testing.assert_allclose(fused.output, layered.output, atol=2e-5)
