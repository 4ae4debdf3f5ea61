"""A tiny synthetic corpus for the w2v tests: two topics whose words only meet each other."""
import numpy as np

from embed.data.vocab import Vocabulary

ANIMALS = ["cat", "dog", "horse", "cow", "sheep", "goat"]
FRUITS = ["apple", "pear", "plum", "grape", "peach", "lemon"]
GLUE = ["the", "a", "and"]


def topic_tokens(n_words=30_000, seed=0, block=12):
    """Blocks of ``block`` words, each from one topic mixed with glue words."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n_words:
        topic = ANIMALS if rng.random() < 0.5 else FRUITS
        for _ in range(block):
            out.append(GLUE[rng.integers(3)] if rng.random() < 0.2 else topic[rng.integers(6)])
    return out[:n_words]


def topic_corpus(n_words=30_000, seed=0, size=50):
    tokens = topic_tokens(n_words, seed)
    vocab = Vocabulary.from_tokens(tokens, size=size)
    return vocab, vocab.encode(tokens)


def topic_margin(model) -> float:
    """Mean cosine within a topic minus mean cosine across topics (higher = clustered)."""
    v = model.vectors / np.linalg.norm(model.vectors, axis=1, keepdims=True)
    a = v[[model.vocab.id(w) for w in ANIMALS]]
    f = v[[model.vocab.id(w) for w in FRUITS]]
    within = (np.mean(a @ a.T) + np.mean(f @ f.T)) / 2
    return float(within - np.mean(a @ f.T))
