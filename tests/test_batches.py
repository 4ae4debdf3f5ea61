"""The seed's teaching batches on the text8 opening words, asserted verbatim."""
import numpy as np
import pytest

from embed.data.batches import CBOWBatcher, SkipGramBatcher
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError

OPENING = ("anarchism originated as a term of abuse first used against early working class "
           "radicals including the").split()
VOCAB = Vocabulary.from_tokens(OPENING)
IDS = VOCAB.encode(OPENING)


def words(ids):
    return " ".join(VOCAB.decode(np.ravel(ids)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_skipgram_two_skips_window_one(seed):
    batch, labels = SkipGramBatcher(IDS, 8, 2, 1, seed=seed).next()
    assert batch.dtype == np.int32 and batch.shape == (8,)
    assert labels.dtype == np.int32 and labels.shape == (8, 1)
    assert words(batch) == "originated originated as as a a term term"
    pairs = [sorted(VOCAB.decode(labels[i:i + 2, 0])) for i in range(0, 8, 2)]
    assert pairs == [["anarchism", "as"], ["a", "originated"], ["as", "term"], ["a", "of"]]


def test_skipgram_label_order_is_seeded_and_varies():
    runs = {words(SkipGramBatcher(IDS, 8, 2, 1, seed=s).next()[1]) for s in range(12)}
    assert len(runs) > 1  # the seed's example "as anarchism a originated as term of a" is one
    a = SkipGramBatcher(IDS, 8, 2, 1, seed=7)
    b = SkipGramBatcher(IDS, 8, 2, 1, seed=7)
    for _ in range(5):
        assert all(np.array_equal(x, y) for x, y in zip(a.next(), b.next()))


def test_skipgram_four_skips_window_two():
    batch, labels = SkipGramBatcher(IDS, 8, 4, 2, seed=0).next()
    assert words(batch) == "as as as as a a a a"
    assert sorted(VOCAB.decode(labels[:4, 0])) == sorted("anarchism originated a term".split())
    assert sorted(VOCAB.decode(labels[4:, 0])) == sorted("originated as term of".split())


def test_skipgram_continues_across_calls_and_wraps_at_the_end():
    gen = SkipGramBatcher(IDS, 8, 2, 1, seed=0)
    gen.next()
    assert words(gen.next()[0]) == "of of abuse abuse first first used used"
    centres = []
    for _ in range(6):
        centres += VOCAB.decode(gen.next()[0][::2])
    # 14 centres (originated .. including) cycle; no window straddles the corpus end
    assert centres[:6] == "against early working class radicals including".split()
    assert centres[6:10] == "originated as a term".split()
    assert "the" not in centres and "anarchism" not in centres


def test_cbow_context_one():
    contexts, labels = CBOWBatcher(IDS, 8, 1).next()
    assert contexts.dtype == np.int32 and contexts.shape == (8, 2)
    assert labels.dtype == np.int32 and labels.shape == (8,)
    assert [VOCAB.decode(row) for row in contexts] == [
        ["anarchism", "as"], ["originated", "a"], ["as", "term"], ["a", "of"],
        ["term", "abuse"], ["of", "first"], ["abuse", "used"], ["first", "against"]]
    assert words(labels) == "originated as a term of abuse first used"


def test_cbow_context_two_and_continuation():
    gen = CBOWBatcher(IDS, 8, 2)
    contexts, labels = gen.next()
    assert contexts.shape == (8, 4)
    assert words(contexts[0]) == "anarchism originated a term"
    assert words(contexts[1]) == "originated as term of"
    assert words(contexts[-1]) == "first used early working"
    assert words(labels) == "as a term of abuse first used against"
    contexts, labels = gen.next()  # 12 centres: as .. radicals, then wrap
    assert words(labels) == "early working class radicals as a term of"
    assert words(contexts[3]) == "working class including the"


@pytest.mark.parametrize("make, message", [
    (lambda: SkipGramBatcher(IDS, 9, 2, 1), "multiple of num_skips"),
    (lambda: SkipGramBatcher(IDS, 8, 4, 1), "cannot exceed 2 \\* skip_window"),
    (lambda: SkipGramBatcher(IDS, 8, 2, 0), "skip_window must be a positive"),
    (lambda: SkipGramBatcher(IDS, 0, 2, 1), "batch_size must be a positive"),
    (lambda: SkipGramBatcher(IDS[:4], 8, 2, 2), "needs at least 5 words"),
    (lambda: CBOWBatcher(IDS, 8, 8), "needs at least 17 words"),
    (lambda: CBOWBatcher(IDS, 8, 0), "context must be a positive"),
    (lambda: CBOWBatcher(IDS.reshape(4, 4), 8, 1), "1-D"),
    (lambda: CBOWBatcher(IDS.astype(float), 8, 1), "integers"),
])
def test_impossible_settings_are_refused(make, message):
    with pytest.raises(EmbedError, match=message):
        make()


def test_batches_from_a_memory_mapped_stream(tmp_path):
    np.save(tmp_path / "ids.npy", IDS)
    ids = np.load(tmp_path / "ids.npy", mmap_mode="r")
    contexts, labels = CBOWBatcher(ids, 4, 1).next()
    assert words(labels) == "originated as a term"
