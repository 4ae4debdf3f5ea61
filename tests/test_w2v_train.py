import numpy as np
import pytest

from embed import load
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError
from embed.w2v.model import load_model
from embed.w2v.train import TrainingInterrupted, train

from w2v_corpus import ANIMALS, topic_corpus, topic_margin

SMALL = dict(dim=16, window=3, negative=4, sample=0, epochs=2, threads=1, seed=3)


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus(20_000)


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize("kernel", ["batched", "classic"])
def test_loss_falls_and_topics_cluster(corpus, model, kernel):
    vocab, ids = corpus
    m = train(ids, vocab, model=model, kernel=kernel, **SMALL)
    hist = m.history
    assert hist.shape[1] == 2 and hist[-1, 0] == 2 * len(ids)
    assert hist[-1, 1] < 0.99 * hist[0, 1]
    assert topic_margin(m) > 0.3
    near = [w for w, _ in m.wv.most_similar("cat", topn=4)]
    assert set(near) <= set(ANIMALS) | {"the", "a", "and"}
    assert m.vectors.dtype == np.float32 and m.vectors.shape == (len(vocab), 16)
    assert "UNK" not in m.wv


@pytest.mark.parametrize("model,kernel", [("skipgram", "batched"), ("cbow", "batched"),
                                          ("cbow", "classic")])
def test_one_thread_and_a_seed_give_identical_vectors(corpus, model, kernel):
    vocab, ids = corpus
    st = {**SMALL, "sample": 1e-3, "model": model, "kernel": kernel}
    a = train(ids, vocab, **st)
    b = train(ids, vocab, **st)
    c = train(ids, vocab, **{**st, "seed": 4})
    assert np.array_equal(a.vectors, b.vectors) and np.array_equal(a.output, b.output)
    assert not np.array_equal(a.vectors, c.vectors)


def test_two_threads_train_too(corpus):
    vocab, ids = corpus
    m = train(ids, vocab, **{**SMALL, "threads": 2})
    assert topic_margin(m) > 0.3


def test_learning_rate_decays_linearly_over_all_epochs(corpus):
    vocab, ids = corpus
    seen = []
    train(ids, vocab, alpha=0.02, min_alpha=0.001, callback=seen.append, **SMALL)
    alphas = [s["alpha"] for s in seen]
    assert alphas[0] == pytest.approx(0.02)
    assert all(x >= y for x, y in zip(alphas, alphas[1:]))
    # the chunk starting halfway through the run is trained at the midpoint rate
    half = next(s for s in seen if s["words"] - 10_000 >= len(ids))
    assert half["alpha"] == pytest.approx((0.02 + 0.001) / 2, rel=1e-6)


@pytest.mark.parametrize("path", [{}, {"loss": "softmax"}, {"optimizer": "adam"}],
                         ids=["fused", "layered", "adam"])
def test_ctrl_c_checkpoints_and_resume_continues_the_same_schedule(corpus, tmp_path, path):
    vocab, ids = corpus
    full = train(ids, vocab, **SMALL, **path)

    def interrupt(info):  # the worker may finish one more chunk: epoch 1 is still to come
        if info["epoch"] == 0 and info["chunk"] == 0:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted) as exc:
        train(ids, vocab, out_dir=tmp_path / "m", callback=interrupt, **SMALL, **path)
    assert exc.value.saved == tmp_path / "m"
    saved = load_model(tmp_path / "m")
    assert saved.state["epoch"] == 0 and 1 <= saved.state["chunk"] and not saved.state["complete"]
    assert (saved.optimizer_state is not None) == ("optimizer" in path)
    resumed = train(ids, resume=tmp_path / "m", out_dir=tmp_path / "m", threads=1)
    assert resumed.state["complete"]
    # one thread: the interrupted-and-resumed run is the uninterrupted run, bit for bit
    assert np.array_equal(resumed.vectors, full.vectors)
    assert np.array_equal(resumed.output, full.output)
    again = load(tmp_path / "m")
    assert np.array_equal(again.vectors, full.vectors)
    assert again.history[-1, 0] == 2 * len(ids)


def test_online_learning_on_new_text_keeps_the_vocabulary(corpus, tmp_path):
    vocab, ids = corpus
    first = train(ids, vocab, out_dir=tmp_path / "m", **SMALL)
    before = first.vectors.copy()
    _, more = topic_corpus(5_000, seed=9)
    new_ids = vocab.encode(vocab.decode(more) + ["unseen", "words"])
    m = train(new_ids, resume=tmp_path / "m", out_dir=tmp_path / "m", threads=1)
    assert m.vocab == vocab and m.state["complete"]
    assert not np.array_equal(m.vectors, before)
    assert m.history[-1, 0] > first.history[-1, 0]  # the loss curve goes on
    with pytest.raises(EmbedError, match="vocabulary"):
        train(new_ids, Vocabulary.from_tokens(["x", "y"]), resume=tmp_path / "m")


def test_keep_unk_trains_the_unk_row(corpus):
    vocab, ids = corpus
    ids = ids.copy()
    ids[::7] = 0
    dropped = train(ids, vocab, **SMALL)
    kept = train(ids, vocab, keep_unk=True, **SMALL)
    init = train(ids[:0 + 10], vocab, **{**SMALL, "epochs": 1, "window": 1}).vectors[0]
    assert np.array_equal(dropped.vectors[0], init)
    assert not np.array_equal(kept.vectors[0], init)
    # dropped UNK is never a target or a negative either: its output row keeps its zero start
    assert not dropped.output[0].any() and kept.output[0].any()
    for kernel, model in (("classic", "skipgram"), ("batched", "cbow")):
        m = train(ids, vocab, model=model, kernel=kernel, **{**SMALL, "epochs": 1})
        assert np.array_equal(m.vectors[0], init) and not m.output[0].any(), (kernel, model)
    assert "UNK" in kept.wv and "UNK" not in dropped.wv


@pytest.mark.parametrize("optimizer,schedule", [("adam", "linear"), ("adagrad", "constant"),
                                                ("sgd", "hypergradient")])
def test_layered_optimizers_train(corpus, optimizer, schedule):
    vocab, ids = corpus
    m = train(ids[:8_000], vocab, optimizer=optimizer, lr_schedule=schedule,
              **{**SMALL, "epochs": 2})
    assert m.history[-1, 1] < m.history[0, 1]
    assert topic_margin(m) > 0.3
    # the named optimizer did the updates: its own slots, over both tables
    slots = {"adam": ("m", "v", "t"), "adagrad": ("acc",), "sgd": ()}[optimizer]
    assert set(m.optimizer_state) == {f"{p}.{s}" for p in ("vectors", "output") for s in slots}
    if slots:
        assert m.optimizer_state[f"output.{slots[0]}"].any()


def test_full_softmax_cross_check_learns_the_same_structure(corpus):
    vocab, ids = corpus
    m = train(ids[:8_000], vocab, loss="softmax", alpha=0.02, **SMALL)
    assert m.history[-1, 1] < m.history[0, 1]
    assert topic_margin(m) > 0.3
    assert not m.output[0].any()  # dropped UNK is not one of the softmax's classes
    # the loss is the mean cross-entropy over the trainable words: it starts at log(V - 1)
    first = train(ids[:8_000], vocab, loss="softmax", alpha=1e-9, **{**SMALL, "epochs": 1})
    assert first.history[0, 1] == pytest.approx(np.log(len(vocab) - 1), rel=1e-3)


def test_bad_inputs_are_one_line_errors(corpus, tmp_path):
    vocab, ids = corpus
    with pytest.raises(EmbedError, match="empty"):
        train(np.zeros(0, np.int32), vocab)
    with pytest.raises(EmbedError, match="window"):
        train(ids[:3], vocab, window=5)
    one = Vocabulary.from_tokens(["x"] * 20)
    with pytest.raises(EmbedError, match="only 1 trainable word"):
        train(one.encode(["x"] * 20), one)
    with pytest.raises(EmbedError, match="model"):
        train(ids, vocab, model="glove")
    with pytest.raises(EmbedError, match="optimizer"):
        train(ids, vocab, optimizer="lbfgs")
    with pytest.raises(EmbedError, match="override"):
        train(ids, vocab, extra_settings={"window": 99}, **SMALL)
    for bad_id in (len(vocab), -1):
        bad = ids.copy()
        bad[5] = bad_id
        with pytest.raises(EmbedError, match="outside the vocabulary"):
            train(bad, vocab, **SMALL)


def test_divergence_is_an_error_and_keeps_the_last_good_checkpoint(corpus, tmp_path):
    vocab, ids = corpus
    good = train(ids, vocab, out_dir=tmp_path / "m", **{**SMALL, "epochs": 1})
    with pytest.raises(EmbedError, match="diverged"):
        train(ids, vocab, out_dir=tmp_path / "m", alpha=1e30, **SMALL)
    assert np.array_equal(load(tmp_path / "m").vectors, good.vectors)


def test_resuming_a_damaged_model_is_a_one_line_error(corpus, tmp_path):
    import json

    vocab, ids = corpus
    train(ids, vocab, out_dir=tmp_path / "m", **{**SMALL, "epochs": 1})
    settings = json.loads((tmp_path / "m" / "settings.json").read_text())
    state = json.loads((tmp_path / "m" / "train_state.json").read_text())
    cases = [({**settings, "window": "abc"}, state, "window must be an integer"),
             ({k: v for k, v in settings.items() if k != "dim"}, state, "lack dim"),
             ({**settings, "chunk_words": 0}, state, "chunk-words"),
             (settings, [1, 2], "not a JSON object"),
             (settings, {**state, "complete": False, "epoch": "x"}, "damaged"),
             (settings, {**state, "complete": False, "epoch": 7}, "does not fit")]
    (tmp_path / "m" / "checkpoint.json").unlink()   # hand-edited files, no manifest to check
    for bad_settings, bad_state, message in cases:
        (tmp_path / "m" / "settings.json").write_text(json.dumps(bad_settings))
        (tmp_path / "m" / "train_state.json").write_text(json.dumps(bad_state))
        with pytest.raises(EmbedError, match=message):
            train(ids, resume=tmp_path / "m", threads=1)
    with pytest.raises(EmbedError, match="threads"):
        train(ids, vocab, **{**SMALL, "threads": 0})


def test_batched_skipgram_stays_stable_with_a_wide_window(corpus):
    # 800 context rows per centre word over a 15-word vocabulary: one HogBatch step for all of
    # them moved the shared output rows ~800 single steps at once and diverged to NaN
    vocab, ids = corpus
    m = train(ids[:3_000], vocab, **{**SMALL, "window": 400, "epochs": 1})
    assert np.isfinite(m.vectors).all() and np.isfinite(m.output).all()
    assert np.isfinite(m.history[:, 1]).all()


def test_resume_continues_the_hypergradient_rate(tmp_path):
    # the adapted rate is state: a resumed run goes on from it, not from the linear schedule
    vocab, ids = topic_corpus(40_000)
    settings = {**SMALL, "lr_schedule": "hypergradient"}
    full = {}
    train(ids, vocab, callback=lambda i: full.setdefault((i["epoch"], i["chunk"]), i["alpha"]),
          **settings)

    def interrupt(info):
        if info["chunk"] == 0:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted):
        train(ids, vocab, out_dir=tmp_path / "m", callback=interrupt, **settings)
    state = load_model(tmp_path / "m").state
    assert state["epoch"] == 0 and 1 <= state["chunk"] <= 2
    assert state["lr"] == full[(0, state["chunk"] - 1)]  # one thread: the very same rate
    resumed = {}
    train(ids, resume=tmp_path / "m", threads=1,
          callback=lambda i: resumed.setdefault((i["epoch"], i["chunk"]), i["alpha"]))
    assert min(resumed) == (0, state["chunk"]) and max(resumed) == (1, 3)
    first = min(resumed)
    # the same up to the one step whose previous gradient the checkpoint does not hold
    assert resumed[first] == pytest.approx(full[first], rel=0.01)


def test_a_damaged_optimizer_state_is_a_one_line_error(corpus, tmp_path):
    vocab, ids = corpus

    def interrupt(info):
        raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted):
        train(ids[:8_000], vocab, out_dir=tmp_path / "m", optimizer="adagrad", callback=interrupt,
              **SMALL)
    assert load_model(tmp_path / "m").optimizer_state["vectors.acc"].shape == (len(vocab), 16)
    f = tmp_path / "m" / "optimizer.npz"
    f.write_bytes(f.read_bytes()[:100])
    assert load(tmp_path / "m").vectors.shape == (len(vocab), 16)  # only resuming reads it
    with pytest.raises(EmbedError, match="optimizer.npz does not match its checkpoint"):
        train(ids[:8_000], resume=tmp_path / "m")
    (tmp_path / "m" / "checkpoint.json").unlink()   # no manifest: the file itself is checked
    with pytest.raises(EmbedError, match="optimizer state"):
        train(ids[:8_000], resume=tmp_path / "m")


def test_a_model_familys_arrays_travel_in_the_checkpoint(corpus, tmp_path):
    """Arrays a model family adds (e.g. a hierarchical-softmax tree) are saved in the same
    checkpoint and read back with their dtypes; a bad name list is a one-line error."""
    import json

    vocab, ids = corpus
    m = train(ids[:3_000], vocab, **{**SMALL, "epochs": 1})
    m.arrays["tree_codes"] = np.arange(6, dtype=np.uint8).reshape(2, 3)
    m.arrays["extra_rows"] = np.ones((4, 16), np.float32)
    m.save(tmp_path / "m")
    back = load_model(tmp_path / "m", verify=True)
    assert set(back.arrays) == {"tree_codes", "extra_rows"}
    assert back.arrays["tree_codes"].dtype == np.uint8
    np.testing.assert_array_equal(back.arrays["tree_codes"], m.arrays["tree_codes"])
    state = json.loads((tmp_path / "m" / "train_state.json").read_text())
    (tmp_path / "m" / "train_state.json").write_text(json.dumps({**state,
                                                                 "arrays": ["../etc"]}))
    (tmp_path / "m" / "checkpoint.json").unlink()
    with pytest.raises(EmbedError, match="damaged list of arrays"):
        load_model(tmp_path / "m")
