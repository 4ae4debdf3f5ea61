"""The fused kernels compute the same update as the layered embed.nn core (SGD, same lr)."""
import numpy as np
import pytest

from embed.nn.losses import negative_sampling_loss
from embed.w2v.kernels_cbow import cbow_block
from embed.w2v.kernels_sg import ns_codes, sg_block

from w2v_layered import layered_sgd_step, run_chunks

V, DIM, LR = 30, 8, 0.05


def tables(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 0.3, (V, DIM)).astype(np.float32),
            rng.normal(0, 0.3, (V, DIM)).astype(np.float32))


def layered_step(W_in, W_out, in_ids, targets, reduce_counts=None):
    """Embedding -> (mean for CBOW) -> negative_sampling_loss -> SGD on sparse rows."""
    return layered_sgd_step(
        W_in, W_out, in_ids, lambda h: negative_sampling_loss(h, W_out, targets, reduction="sum"),
        LR, reduce_counts)


def test_skipgram_hogbatch_block_equals_layered_sgd():
    W_in, W_out = tables()
    ctx = np.array([3, 7, 3, 12], np.int32)         # a repeated context word on purpose
    targets = np.array([5, 9, 14, 9, 21, 2], np.int32)  # positive 5, a repeated negative
    a_in, a_out = W_in.copy(), W_out.copy()
    g = np.empty((4, 6), np.float32)
    grad = np.empty((4, DIM), np.float32)
    loss_fused = sg_block(a_in, a_out, ctx, 4, targets, ns_codes(5), 6, np.float32(LR), g, grad,
                          True)
    loss_layered = layered_step(W_in, W_out, ctx, np.tile(targets, (4, 1)))
    np.testing.assert_allclose(a_in, W_in, atol=2e-6)
    np.testing.assert_allclose(a_out, W_out, atol=2e-6)
    np.testing.assert_allclose(loss_fused, loss_layered, rtol=1e-5)
    assert not np.allclose(a_in, tables()[0])  # the step really moved something


@pytest.mark.parametrize("m", [1, 3, 4, 5, 8])
@pytest.mark.parametrize("nt", [1, 3, 4, 7, 9])
def test_skipgram_block_of_any_shape_is_one_sgd_step_on_the_summed_loss(m, nt):
    # every split of the block into 4 x 4 tiles, 4-row passes and remainders; dim 13 leaves a
    # remainder after every vector width
    rng = np.random.default_rng(m * 10 + nt)
    dim = 13
    W_in = rng.normal(0, 0.5, (V, dim)).astype(np.float32)
    W_out = rng.normal(0, 0.5, (V, dim)).astype(np.float32)
    ctx = rng.integers(0, V, m).astype(np.int32)
    targets = rng.choice(V, nt, replace=False).astype(np.int32)
    codes = rng.integers(0, 2, nt).astype(np.uint8)
    a_in, a_out = W_in.copy(), W_out.copy()
    loss = sg_block(a_in, a_out, ctx, m, targets, codes, nt, np.float32(LR),
                    np.empty((m, nt), np.float32), np.empty((m, dim), np.float32), True)
    C, T = W_in[ctx].astype(np.float64), W_out[targets].astype(np.float64)
    scores = C @ T.T
    labels = 1.0 - codes[None, :]
    g = (labels - 1.0 / (1.0 + np.exp(-scores))) * LR
    np.add.at(W_out, targets, (g.T @ C).astype(np.float32))
    np.add.at(W_in, ctx, (g @ T).astype(np.float32))
    np.testing.assert_allclose(a_in, W_in, atol=2e-6)
    np.testing.assert_allclose(a_out, W_out, atol=2e-6)
    want = np.sum(np.logaddexp(0, -scores) * labels + np.logaddexp(0, scores) * (1 - labels))
    np.testing.assert_allclose(loss, want, rtol=1e-5)


def test_cbow_shared_negative_block_equals_layered_sgd():
    W_in, W_out = tables(1)
    counts = np.array([4, 2, 3], np.int32)
    ctx = np.zeros((3, 10), np.int32)
    ctx[0, :4] = [1, 2, 3, 4]
    ctx[1, :2] = [4, 8]
    ctx[2, :3] = [10, 11, 1]
    centres = np.array([6, 7, 13], np.int32)
    negs = np.array([20, 21, 22, 20], np.int32)
    a_in, a_out = W_in.copy(), W_out.copy()
    h = np.empty((3, DIM), np.float32)
    dh = np.empty((3, DIM), np.float32)
    g = np.empty((3, 5), np.float32)
    loss_fused = cbow_block(a_in, a_out, ctx, counts, 3, centres, negs, 4, np.float32(LR),
                            h, dh, g, True)
    flat = np.concatenate([ctx[b, :counts[b]] for b in range(3)])
    targets = np.column_stack([centres, np.tile(negs, (3, 1))])
    loss_layered = layered_step(W_in, W_out, flat, targets, reduce_counts=counts)
    np.testing.assert_allclose(a_in, W_in, atol=2e-6)
    np.testing.assert_allclose(a_out, W_out, atol=2e-6)
    np.testing.assert_allclose(loss_fused, loss_layered, rtol=1e-5)


@pytest.mark.parametrize("model_name", ["skipgram", "cbow"])
def test_fused_and_layered_paths_train_the_same_vectors_over_whole_chunks(model_name):
    """Not one block but whole chunks: the layered path's example walker draws the same
    windows, subsampling and negatives (a negative equal to the centre skipped by both) as the
    kernel, and steps once per kernel block, so the two paths train the same vectors."""
    from embed.w2v import sampling
    from embed.w2v.checkpoint import fresh_start
    from embed.w2v.fused import worker_factory
    from embed.w2v.layered import LayeredTrainer
    from embed.w2v.settings import TrainSettings

    from w2v_corpus import topic_corpus

    vocab, ids = topic_corpus(3_000, size=14)     # a tiny vocabulary: many negative == centre
    ends = np.array([700, 1500, 1501, 2200, 3000], np.int64)   # sentence ends, one of 1 word
    st = TrainSettings(model=model_name, dim=10, window=6, negative=6, sample=1e-2, epochs=1,
                       seed=5, chunk_words=1_000)
    keep = sampling.keep_probabilities(vocab.counts, st.sample)
    table = sampling.negative_table(vocab.counts)
    fused = fresh_start(vocab, st).model
    layered = fresh_start(vocab, st).model
    plan = run_chunks(st, ids, ends, worker_factory(fused, keep, table, st, 1_500)())
    assert plan.starts.tolist() == [0, 700, 1501, 2200, 3000]   # whole sentences, <= 1,000
    trainer = LayeredTrainer(layered, keep, table, st, st.alpha, 1_500, block_steps=True)
    run_chunks(st, ids, ends, trainer.run)
    assert not np.allclose(fused.vectors, fresh_start(vocab, st).model.vectors, atol=1e-3)
    np.testing.assert_allclose(fused.vectors, layered.vectors, atol=2e-5)
    np.testing.assert_allclose(fused.output, layered.output, atol=2e-5)


def test_the_kernels_sigmoid_is_the_exact_one_to_float32_rounding():
    from numba import njit

    from embed.nn.activations import sigmoid_scalar
    from embed.w2v.kernel_support import KERNEL_JIT, exp_nonpositive, sigmoid_fast

    @njit(**{**KERNEL_JIT, "cache": False})     # fastmath, as the kernels compile it
    def both(x, fast, exact, e):
        for i in range(x.shape[0]):
            fast[i] = sigmoid_fast(x[i])
            exact[i] = sigmoid_scalar(x[i])
            e[i] = exp_nonpositive(-abs(x[i]))

    x = np.concatenate([np.linspace(-120, 120, 200_001), [0.0, -0.0, 1e-30, -1e-30, 86.9, -86.9,
                                                          np.inf, -np.inf]]).astype(np.float32)
    fast, exact, e = (np.empty_like(x) for _ in range(3))
    both(x, fast, exact, e)
    assert np.abs(fast - exact).max() <= 1.2e-7
    near = np.abs(x) < 87
    want = np.exp(-np.abs(x[near].astype(np.float64)))
    assert (np.abs(e[near] - want) / want).max() < 5e-7
    assert fast[-2] == 1.0 and 0.0 <= fast[-1] < 1e-37     # +-inf scores stay in [0, 1]
