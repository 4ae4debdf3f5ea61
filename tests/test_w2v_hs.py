"""Hierarchical softmax (--hs): the fused kernels against the layered embed.nn computation, and
the family's settings, training, checkpoints and errors."""
import json

import numpy as np
import pytest

from embed.errors import EmbedError
from embed.nn.losses import hierarchical_softmax_loss
from embed.w2v import huffman
from embed.w2v.kernels_cbow import cbow_hs_step
from embed.w2v.kernels_sg import sg_block
from embed.w2v.model import load_model
from embed.w2v.settings import TrainSettings
from embed.w2v.train import TrainingInterrupted, train

from w2v_corpus import ANIMALS, topic_corpus, topic_margin
from w2v_layered import layered_sgd_step

V, DIM, LR = 30, 8, 0.05
SMALL = dict(dim=16, window=3, sample=0, epochs=2, threads=1, seed=3, hs=True)


def tables(seed=0):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 1_000, V))[::-1]
    tree = huffman.build_tree(counts, keep_unk=True)
    return (rng.normal(0, 0.3, (V, DIM)).astype(np.float32),
            rng.normal(0, 0.3, (V - 1, DIM)).astype(np.float32), tree)


def layered_step(W_in, nodes, in_ids, centres, tree, reduce_counts=None):
    """Embedding -> (mean for CBOW) -> hierarchical_softmax_loss -> SGD on sparse rows."""
    lengths = tree[huffman.LENGTHS][centres]
    mask = np.arange(tree[huffman.POINTS].shape[1])[None, :] < lengths[:, None]
    return layered_sgd_step(
        W_in, nodes, in_ids, lambda h: hierarchical_softmax_loss(
            h, nodes, tree[huffman.POINTS][centres], tree[huffman.CODES][centres], mask),
        LR, reduce_counts)


def test_skipgram_block_against_the_centres_path_equals_layered_sgd():
    W_in, nodes, tree = tables()
    w = int(np.argmax(tree[huffman.LENGTHS]))              # a deep leaf: a long path
    assert tree[huffman.LENGTHS][w] >= 5
    ctx = np.array([3, 7, 3, 12], np.int32)                 # a repeated context word on purpose
    a_in, a_nodes = W_in.copy(), nodes.copy()
    depth = tree[huffman.POINTS].shape[1]
    g, grad = np.empty((4, depth), np.float32), np.empty((4, DIM), np.float32)
    loss_fused = sg_block(a_in, a_nodes, ctx, 4, tree[huffman.POINTS][w], tree[huffman.CODES][w],
                          tree[huffman.LENGTHS][w], np.float32(LR), g, grad, True)
    loss_layered = layered_step(W_in, nodes, ctx, np.full(4, w), tree)
    np.testing.assert_allclose(a_in, W_in, atol=2e-6)
    np.testing.assert_allclose(a_nodes, nodes, atol=2e-6)
    np.testing.assert_allclose(loss_fused, loss_layered, rtol=1e-5)
    assert not np.allclose(a_nodes, tables()[1])            # the step really moved something


@pytest.mark.parametrize("hot_rows", [0, 3])
def test_cbow_step_against_the_centres_path_equals_layered_sgd(hot_rows):
    # hot_rows 3: the path's top nodes are stepped in the thread's copy (kernels_hs.hot_of)
    # and written back by store_hot, as the chunk kernels do
    from types import SimpleNamespace

    from embed.w2v.kernels_hs import hot_of, hot_prefix, load_hot, store_hot

    W_in, nodes, tree = tables(1)
    w = 4
    ctx = np.array([1, 2, 9, 1, 20], np.int32)
    a_in, a_nodes = W_in.copy(), nodes.copy()
    depth = tree[huffman.POINTS].shape[1]
    h, dh = np.empty((2, DIM), np.float32), np.empty((2, DIM), np.float32)
    g = np.empty(depth, np.float32)
    fused_tree = (a_nodes, tree[huffman.POINTS], tree[huffman.CODES], tree[huffman.LENGTHS])
    model = SimpleNamespace(arrays={**tree, huffman.NODES: a_nodes})
    hot = hot_of(model, SimpleNamespace(hs=True, dim=DIM), 1, hot_rows)
    top = hot_prefix(a_nodes, hot[0], tree[huffman.POINTS], tree[huffman.LENGTHS], w)
    assert len(hot[0]) == hot_rows and (top > 0) == (hot_rows > 0)
    assert top < tree[huffman.LENGTHS][w]                       # and the rest in the table
    load_hot(a_nodes, hot)
    group_ctx = np.stack([np.zeros(5, np.int32), ctx])          # the step of member 1 of 2
    loss_fused = cbow_hs_step(a_in, *fused_tree, hot[0], group_ctx,
                              np.array([0, 5], np.int32), 1, w, np.float32(LR), h, dh, g, True)
    store_hot(a_nodes, hot)
    loss_layered = layered_step(W_in, nodes, ctx, np.array([w]), tree,
                                reduce_counts=np.array([5]))
    np.testing.assert_allclose(a_in, W_in, atol=2e-6)
    np.testing.assert_allclose(a_nodes, nodes, atol=2e-6)
    np.testing.assert_allclose(loss_fused, loss_layered, rtol=1e-5)


@pytest.mark.parametrize("negative", [0, 5])
@pytest.mark.parametrize("model_name", ["skipgram", "cbow"])
def test_fused_and_layered_paths_train_the_same_vectors_over_whole_chunks(model_name, negative):
    """Whole chunks: the walkers of embed.w2v.examples draw the kernels' windows, subsampling
    and negatives, and the layered path steps once per fused step (the path, then the
    negatives), so both paths train the same input vectors, node table and output table."""
    from embed.w2v import sampling
    from embed.w2v.checkpoint import fresh_start
    from embed.w2v.fused import worker_factory
    from embed.w2v.layered import LayeredTrainer
    from embed.w2v.schedule import Schedule

    vocab, ids = topic_corpus(3_000, size=14)
    ends = np.array([700, 1500, 1501, 2200, 3000], np.int64)   # one sentence of 1 word
    st = TrainSettings(model=model_name, dim=10, window=6, negative=negative, hs=True,
                       sample=1e-2, epochs=1, seed=5, chunk_words=1_000)
    keep = sampling.keep_probabilities(vocab.counts, st.sample)
    table = sampling.negative_table(vocab.counts)
    fused, layered = fresh_start(vocab, st).model, fresh_start(vocab, st).model
    runners = (worker_factory(fused, keep, table, st, 1_500)(),
               LayeredTrainer(layered, keep, table, st, st.alpha, 1_500, block_steps=True).run)
    plan = Schedule(len(ids), st, ends)
    for c in range(plan.chunks):
        lo, hi = plan.bounds(c)
        for run in runners:
            run(np.ascontiguousarray(ids[lo:hi]), plan.sentence_ends(c), plan.alpha(0, c),
                plan.seed(0, c))
    start = fresh_start(vocab, st).model
    assert not np.allclose(fused.vectors, start.vectors, atol=1e-3)
    assert np.abs(fused.arrays[huffman.NODES]).max() > 1e-3
    np.testing.assert_allclose(fused.vectors, layered.vectors, atol=2e-5)
    np.testing.assert_allclose(fused.arrays[huffman.NODES], layered.arrays[huffman.NODES],
                               atol=2e-5)
    assert (fused.output is None) == (negative == 0)
    if negative:
        assert np.abs(fused.output).max() > 1e-3
        np.testing.assert_allclose(fused.output, layered.output, atol=2e-5)


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus(20_000)


@pytest.mark.parametrize("negative", [0, 4])
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_loss_falls_and_topics_cluster(corpus, model, negative):
    vocab, ids = corpus
    m = train(ids, vocab, model=model, negative=negative, **SMALL)
    assert m.history[-1, 1] < 0.99 * m.history[0, 1]
    assert topic_margin(m) > 0.3
    near = [w for w, _ in m.wv.most_similar("cat", topn=4)]
    assert set(near) <= set(ANIMALS) | {"the", "a", "and"}
    nodes = m.arrays[huffman.NODES]
    assert nodes.shape == (len(vocab) - 2, 16) and nodes.dtype == np.float32
    assert (m.output is None) == (negative == 0)


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_the_tree_trains_with_context_rows_held_per_thread(corpus, model):
    vocab, ids = corpus
    m = train(ids, vocab, model=model, negative=0, context_rows="window", **SMALL)
    assert m.history[-1, 1] < 0.99 * m.history[0, 1]
    assert topic_margin(m) > 0.3


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_one_thread_and_a_seed_give_identical_vectors(corpus, model):
    vocab, ids = corpus
    st = {**SMALL, "sample": 1e-3, "model": model, "negative": 0}
    a, b = train(ids, vocab, **st), train(ids, vocab, **st)
    c = train(ids, vocab, **{**st, "seed": 4})
    assert np.array_equal(a.vectors, b.vectors)
    assert np.array_equal(a.arrays[huffman.NODES], b.arrays[huffman.NODES])
    assert not np.array_equal(a.vectors, c.vectors)


@pytest.mark.parametrize("path", [{"negative": 0}, {"negative": 3, "model": "cbow"},
                                  {"negative": 0, "optimizer": "adam"}],
                         ids=["hs", "hs+negative", "layered-adam"])
def test_ctrl_c_then_resume_is_the_uninterrupted_run_and_the_tree_is_saved(corpus, tmp_path,
                                                                           path):
    vocab, ids = corpus
    full = train(ids, vocab, **{**SMALL, **path})

    def interrupt(info):
        if info["epoch"] == 0 and info["chunk"] == 0:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted):
        train(ids, vocab, out_dir=tmp_path / "m", callback=interrupt, **{**SMALL, **path})
    saved = load_model(tmp_path / "m")
    assert set(saved.arrays) == {huffman.CODES, huffman.POINTS, huffman.LENGTHS, huffman.NODES}
    assert (tmp_path / "m" / "output.npy").exists() == (path["negative"] > 0)
    for name in (huffman.CODES, huffman.POINTS, huffman.LENGTHS):
        np.testing.assert_array_equal(saved.arrays[name], full.arrays[name])
    resumed = train(ids, resume=tmp_path / "m", out_dir=tmp_path / "m", threads=1)
    assert np.array_equal(resumed.vectors, full.vectors)
    assert np.array_equal(resumed.arrays[huffman.NODES], full.arrays[huffman.NODES])


def test_online_learning_keeps_the_tree_and_trains_the_nodes(corpus, tmp_path):
    vocab, ids = corpus
    first = train(ids, vocab, out_dir=tmp_path / "m", **{**SMALL, "negative": 0})
    nodes = first.arrays[huffman.NODES].copy()
    _, more = topic_corpus(5_000, seed=9)
    m = train(vocab.encode(vocab.decode(more)), resume=tmp_path / "m", out_dir=tmp_path / "m",
              threads=1)
    assert m.state["complete"] and m.settings["hs"]
    np.testing.assert_array_equal(m.arrays[huffman.POINTS], first.arrays[huffman.POINTS])
    assert not np.array_equal(m.arrays[huffman.NODES], nodes)
    assert load_model(tmp_path / "m").arrays[huffman.NODES].shape == nodes.shape


@pytest.mark.parametrize("damage,message", [
    (lambda a: {**a, "hs_points": a["hs_points"] + 1000}, "hs_points.npy is damaged"),
    (lambda a: {**a, "hs_codes": a["hs_codes"] * 3}, "hs_codes.npy is damaged"),
    (lambda a: {**a, "hs_lengths": a["hs_lengths"] + 50}, "hs_lengths.npy is damaged"),
    (lambda a: {**a, "hs_nodes": a["hs_nodes"][:3]}, "hs_nodes.npy is float32"),
    (lambda a: {**a, "hs_points": a["hs_points"].astype(np.float32)}, "hs_points.npy is float"),
])
def test_resuming_a_damaged_tree_is_one_line_never_a_crash(corpus, tmp_path, damage, message):
    vocab, ids = corpus
    m = train(ids[:6_000], vocab, out_dir=tmp_path / "m", **{**SMALL, "epochs": 1,
                                                             "negative": 0})
    m.arrays = damage(m.arrays)
    m.save(tmp_path / "m")        # a consistent checkpoint of a bad tree: the checks catch it
    with pytest.raises(EmbedError, match=message):
        train(ids[:6_000], resume=tmp_path / "m", epochs=1)


def test_a_missing_tree_file_is_one_line(corpus, tmp_path):
    vocab, ids = corpus
    train(ids[:6_000], vocab, out_dir=tmp_path / "m", **{**SMALL, "epochs": 1, "negative": 0})
    state = json.loads((tmp_path / "m" / "train_state.json").read_text())
    state["arrays"].remove("hs_codes")
    (tmp_path / "m" / "train_state.json").write_text(json.dumps(state))
    (tmp_path / "m" / "checkpoint.json").unlink()
    with pytest.raises(EmbedError, match="no hs_codes.npy"):
        train(ids[:6_000], resume=tmp_path / "m", epochs=1)


def test_settings_of_the_output_layers():
    assert TrainSettings(hs=True, negative=0).output_table is False
    assert TrainSettings(hs=True).negative == 5                  # both layers, as word2vec.c
    for bad, message in (({"negative": 0}, "--negative 0 leaves no output layer"),
                         ({"hs": True, "loss": "softmax"}, "two output layers"),
                         ({"hs": True, "kernel": "classic"}, "batched kernels"),
                         ({"hs": 1}, "hs must be true or false")):
        with pytest.raises(EmbedError, match=message):
            TrainSettings(**bad)
    # settings.json written before --hs existed still loads (no hierarchical softmax)
    old = {k: v for k, v in TrainSettings().to_dict().items() if k != "hs"}
    assert TrainSettings.from_dict(old).hs is False


def test_cli_trains_hs_and_its_errors_are_one_line(tmp_path, capsys):
    from embed import load
    from embed.cli import main

    from w2v_corpus import topic_tokens

    def run(*argv):
        with pytest.raises(SystemExit) as exit_:
            main(list(argv))
        out = capsys.readouterr()
        return exit_.value.code, out.out, out.err

    corpus = tmp_path / "topics.txt"
    corpus.write_text(" ".join(topic_tokens(8_000)) + "\n")
    args = ["--dim", "12", "--window", "3", "--epochs", "1", "--threads", "1", "--quiet"]
    code, out, err = run("train", str(corpus), "-o", str(tmp_path / "m"), "--hs",
                         "--negative", "0", *args)
    assert code == 0, err
    assert load(tmp_path / "m").settings["hs"] is True
    one_word = tmp_path / "one.txt"
    one_word.write_text("same " * 50 + "\n")
    for argv, message in (([str(corpus), "--negative", "0"], "add --hs"),
                          ([str(one_word), "--hs"], "needs at least two words"),
                          ([str(corpus), "--hs", "--kernel", "classic"], "batched")):
        code, _, err = run("train", *argv, "-o", str(tmp_path / "x"), *args)
        lines = err.strip().splitlines()
        assert code == 1 and len(lines) == 1 and lines[0].startswith("error:"), err
        assert message in lines[0]


def test_only_few_threads_step_their_own_copy_of_the_top_of_the_tree():
    # Summed over many threads, copies stepped for a whole chunk overshoot: CBOW --hs diverged
    # at 4 and 16 threads on the bench corpus. More threads write the shared rows (Hogwild).
    from types import SimpleNamespace

    from embed.w2v.kernels_hs import HOT_THREADS, hot_of

    model = SimpleNamespace(arrays={huffman.NODES: np.zeros((50, DIM), np.float32)})
    st = SimpleNamespace(hs=True, dim=DIM)
    assert len(hot_of(model, st, 1, 8)[0]) == 8
    assert len(hot_of(model, st, HOT_THREADS, 8)[0]) == 8
    assert len(hot_of(model, st, HOT_THREADS + 1, 8)[0]) == 0
    assert len(hot_of(model, st, 16, 8)[0]) == 0
