"""`embed train` reads real text: tokenisation rules, line-bounded sentences, phrases."""
import json

import numpy as np
import pytest

from embed import load
from embed.cli import main

from w2v_corpus import topic_tokens

ARGS = ["--dim", "12", "--window", "3", "--epochs", "2", "--threads", "1", "--sample", "0",
        "-q"]


def run(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def test_windows_never_cross_a_line_end(tmp_path, capsys):
    """One word a line: as sentences, no word has a context, so nothing trains (and the user
    is told no loss was measured); read as chunks, the same text trains."""
    corpus = tmp_path / "one-a-line.txt"
    corpus.write_text("\n".join(topic_tokens(4_000)) + "\n")
    code, _, err = run(["train", corpus, "-o", tmp_path / "lines", *ARGS], capsys)
    assert code == 0 and "no loss" not in err and "too small to measure a loss" in err
    lines = load(tmp_path / "lines")
    assert lines.settings["sentences"] == "lines" and lines.settings["tokens"] == "words"
    assert not lines.output.any()              # no pair was ever trained
    code, _, err = run(["train", corpus, "-o", tmp_path / "chunks", "--sentences", "chunks",
                        *ARGS], capsys)
    assert code == 0, err
    assert load(tmp_path / "chunks").output.any()


def test_unicode_text_trains_and_queries_by_the_same_rule(tmp_path, capsys):
    words = ["Москва", "Café", "naïve", "Straße", "東京", "αθήνα", "l'homme", "2024"]
    rng = np.random.default_rng(0)
    corpus = tmp_path / "multi.txt"
    corpus.write_text("\n".join(" ".join(rng.choice(words, 12)) for _ in range(400)))
    code, _, err = run(["train", corpus, "-o", tmp_path / "m", *ARGS], capsys)
    assert code == 0, err
    vocab = set(load(tmp_path / "m").vocab.words)
    assert {"москва", "café", "naïve", "straße", "東", "京", "αθήνα", "l'homme", "2024"} <= vocab
    code, out, err = run(["similarity", tmp_path / "m", "MOSKVA", "Café"], capsys)
    assert code == 1 and "'MOSKVA' is not in the vocabulary" in err
    code, out, err = run(["similarity", tmp_path / "m", "МОСКВА", "CAFÉ"], capsys)
    assert code == 0, err
    code, _, err = run(["train", corpus, "-o", tmp_path / "t8", "--tokens", "text8", *ARGS],
                       capsys)
    assert code == 0, err
    assert {"caf", "na", "ve", "stra", "homme"} <= set(load(tmp_path / "t8").vocab.words)


def _collocations(path, lines=400, seed=1):
    """Rare filler words (each seen once) and "new york" on every 20th line: word2vec's score
    (count(ab) - 5) * V / (count(a) count(b)) = 15 * ~4,000 / 400 clears the default 100."""
    rng = np.random.default_rng(seed)
    rows = []
    for line in range(lines):
        row = [f"u{seed}x{line}x{i}" for i in range(10)]
        if line % 20 == 0:
            row.insert(int(rng.integers(0, 10)), "New York")
        rows.append(" ".join(row))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_phrases_join_collocations_before_training_and_are_cached(tmp_path, capsys,
                                                                  monkeypatch):
    corpus = _collocations(tmp_path / "c.txt")
    data = tmp_path / "data"
    code, _, err = run(["train", corpus, "-o", tmp_path / "m", "--phrases", "1", "--data-dir",
                        data, "--min-count", "1", *ARGS], capsys)
    assert code == 0, err
    m = load(tmp_path / "m")
    assert "new_york" in m.vocab.words and "new" not in m.vocab.words
    assert m.settings["phrases"] == 1 and m.settings["tokens"] == "words"
    assert m.wv.similarity("New_York", "new_york") == pytest.approx(1.0)   # spelled as read
    cached = list((data / "cache").glob("c.txt.*.phrased.txt"))
    assert len(cached) == 1
    # the second run reuses the joined text; an edited corpus makes it again
    import embed.phrases.cached as cached_mod
    made = []
    real = cached_mod.apply_phrases_to_file
    monkeypatch.setattr(cached_mod, "apply_phrases_to_file",
                        lambda *a, **k: made.append(1) or real(*a, **k))
    code, _, err = run(["train", corpus, "-o", tmp_path / "m2", "--phrases", "1", "--data-dir",
                        data, "--min-count", "1", *ARGS], capsys)
    assert code == 0 and not made, err
    _collocations(corpus, seed=2)
    code, _, err = run(["train", corpus, "-o", tmp_path / "m3", "--phrases", "1", "--data-dir",
                        data, "--min-count", "1", *ARGS], capsys)
    assert code == 0 and made == [1], err
    # a resumed model reads its corpus the same way (the vocabulary still matches)
    code, _, err = run(["train", "--resume", tmp_path / "m3", "--epochs", "1", "--data-dir",
                        data, "-q"], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "m3" / "train_state.json").read_text())["complete"]


def test_phrases_on_stdin_is_one_line(tmp_path, capsys):
    code, _, err = run(["train", "-", "-o", tmp_path / "m", "--phrases", "2", *ARGS], capsys)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "standard input" in lines[0]


def test_top_level_train_from_an_iterable_like_gensim(tmp_path):
    """embed.train(sentences) streams token lists as gensim's Word2Vec(sentences=...) does:
    a generator is read once, sentences bound the windows, gensim's names are accepted."""
    import embed

    reads = []

    def sentences():
        reads.append(1)
        tokens = topic_tokens(12_000)
        for s in range(0, len(tokens), 12):
            yield tokens[s:s + 12]

    model = embed.train(sentences(), vector_size=16, window=3, epochs=3, workers=1, seed=2,
                        sample=0, min_count=2)
    assert reads == [1] and model.dim == 16 and model.settings["corpus"] == "<iterable>"
    near = {w for w, _ in model.wv.most_similar("cat", topn=3)}
    assert near <= {"dog", "horse", "cow", "sheep", "goat", "the", "a", "and"}
    with pytest.raises(Exception, match="iterable of token lists"):
        embed.train(12)
    with pytest.raises(Exception, match="not both"):
        embed.train([["a", "b"]], vector_size=5, dim=5)
    corpus = tmp_path / "t.txt"
    corpus.write_text(" ".join(topic_tokens(3_000)))
    from_file = embed.train(corpus, dim=8, epochs=1, threads=1, out_dir=tmp_path / "m")
    assert from_file.settings["tokens"] == "words" and (tmp_path / "m" / "vectors.npy").is_file()
