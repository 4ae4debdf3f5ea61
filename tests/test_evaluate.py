"""Our analogy and word-pair scores equal gensim's on the same vectors."""
import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV

from embed.errors import EmbedError
from embed.evaluate import datapath, evaluate_analogies, evaluate_pairs
from embed.vectors import KeyedVectors


def _questions(tmp_path, every=6):
    """Every `every`-th question of gensim's questions-words.txt, with all section headers."""
    lines = datapath("questions-words.txt").read_text().splitlines()
    keep = [ln for i, ln in enumerate(lines) if ln.startswith(":") or i % every == 0]
    keep.insert(3, "not a question")  # malformed lines are skipped, as gensim skips them
    path = tmp_path / "q.txt"
    path.write_text("\n".join(keep) + "\n")
    return path, keep


def _structured_vectors(question_lines, seed=0, dim=24):
    """Vectors where b - a is roughly a per-section offset, so many analogies come out right
    and some wrong; plus upper-case twins (rarer rows, other vectors) to exercise case folding."""
    rng = np.random.default_rng(seed)
    words, vec = [], {}
    offset = None
    for line in question_lines:
        if line.startswith(":"):
            offset = rng.standard_normal(dim) * 1.5
            continue
        parts = line.lower().split()
        if len(parts) != 4:
            continue
        for w in parts:
            if w not in vec:
                words.append(w)
                vec[w] = rng.standard_normal(dim)
        for x, y in ((parts[0], parts[1]), (parts[2], parts[3])):
            vec[y] = vec[x] + offset + 0.6 * rng.standard_normal(dim)
    order = rng.permutation(len(words))
    words = [words[i] for i in order]
    twins = [w.capitalize() for w in words[::7]]
    for w in twins:
        vec[w] = rng.standard_normal(dim)
    # a few twins come BEFORE their lower-case word: case folding must take the first row
    fillers = [f"filler{i}" for i in range(40)]
    for w in fillers:
        vec[w] = rng.standard_normal(dim)
    all_words = twins[:5] + fillers + words + twins[5:]
    matrix = np.stack([vec[w] for w in all_words]).astype(np.float32)
    return all_words, matrix


def _gensim(words, matrix):
    g = GensimKV(matrix.shape[1])
    g.add_vectors(words, matrix)
    return g


@pytest.mark.parametrize("case_insensitive", [True, False])
def test_analogies_equal_gensim(tmp_path, case_insensitive):
    path, lines = _questions(tmp_path)
    words, matrix = _structured_vectors(lines)
    restrict = len(words) - 140  # some questions fall outside the restricted vocabulary
    ours = evaluate_analogies(KeyedVectors(words, matrix), path, restrict_vocab=restrict,
                              case_insensitive=case_insensitive)
    score, sections = _gensim(words, matrix).evaluate_word_analogies(
        str(path), restrict_vocab=restrict, case_insensitive=case_insensitive)
    total = sections[-1]
    assert ours["correct"] == len(total["correct"])
    assert ours["total"] == len(total["correct"]) + len(total["incorrect"])
    assert ours["accuracy"] == pytest.approx(score, abs=1e-12)
    assert [s["name"] for s in ours["sections"]] == [s["section"] for s in sections[:-1]]
    assert [(s["correct"], s["total"]) for s in ours["sections"]] == \
        [(len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]]
    if case_insensitive:  # non-trivial: some right, some wrong, some skipped
        assert 0.2 < ours["accuracy"] < 0.95 and ours["oov"] > 0
    assert ours["questions"] == sum(1 for ln in lines if len(ln.split()) == 4
                                    and not ln.startswith(":"))


@pytest.mark.parametrize("name", ["wordsim353.tsv", "simlex999.txt"])
def test_pairs_equal_gensim(name):
    rng = np.random.default_rng(1)
    pairs = [ln.split("\t") for ln in datapath(name).read_text().splitlines()
             if ln and not ln.startswith("#")]
    vocab = sorted({w.lower() for a, b, _ in pairs for w in (a, b)})
    vocab = [w for i, w in enumerate(vocab) if i % 9]  # about an eighth left out of vocabulary
    vocab.insert(0, vocab[10].upper())  # a case twin ahead of its lower-case word
    matrix = rng.standard_normal((len(vocab), 16)).astype(np.float32)
    score = {a.lower() + " " + b.lower(): float(s) for a, b, s in pairs}
    for key, s in score.items():  # make the model agree with the humans, noisily
        a, b = key.split(" ")
        if a in vocab and b in vocab and a != b:
            matrix[vocab.index(b)] += 0.05 * s * matrix[vocab.index(a)]
    ours = evaluate_pairs(KeyedVectors(vocab, matrix), datapath(name))
    pearson, spearman, oov = _gensim(vocab, matrix).evaluate_word_pairs(str(datapath(name)))
    assert ours["spearman"] == pytest.approx(spearman[0], abs=1e-9)
    assert ours["pearson"] == pytest.approx(pearson[0], abs=1e-6)
    # gensim gives the share in percent; ours is a fraction like every other share
    assert ours["oov"] == pytest.approx(oov / 100, abs=1e-12) and ours["oov"] > 0.05
    assert ours["spearman"] > 0.1


def test_pairs_any_whitespace_file_and_errors(tmp_path):
    kv = KeyedVectors(["a", "b", "c", "d"], np.array(
        [[1, 0], [1, 0.1], [0, 1], [-1, 0.2]], dtype=np.float32))
    path = tmp_path / "p.txt"
    path.write_text("word1 word2 score\na b 9\na c 5\na d 1\nb zzz 3\n")
    out = evaluate_pairs(kv, path)
    assert out["pairs"] == 3 and out["oov_pairs"] == 1 and out["oov"] == 0.25
    assert out["spearman"] == pytest.approx(1.0)
    with pytest.raises(EmbedError, match="not found"):
        evaluate_pairs(kv, tmp_path / "missing.txt")
    with pytest.raises(EmbedError, match="is a directory, not an evaluation file"):
        evaluate_pairs(kv, tmp_path)
    (tmp_path / "none.txt").write_text("x y 1\n")
    with pytest.raises(EmbedError, match="no pair with both words"):
        evaluate_pairs(kv, tmp_path / "none.txt")
    (tmp_path / "text.txt").write_text("just some running text, no scores\n\n")
    with pytest.raises(EmbedError, match="not a word-pair file"):
        evaluate_pairs(kv, tmp_path / "text.txt")
    (tmp_path / "q.txt").write_text("a b c d\n")
    with pytest.raises(EmbedError, match="section"):
        evaluate_analogies(kv, tmp_path / "q.txt")
    for text in ("", ": only-a-header\n"):
        (tmp_path / "q.txt").write_text(text)
        with pytest.raises(EmbedError, match="no analogy questions"):
            evaluate_analogies(kv, tmp_path / "q.txt")


def test_default_files_come_from_gensim():
    kv = KeyedVectors(["athens", "greece", "baghdad", "iraq", "love", "sex", "tiger", "cat"],
                      np.eye(8, dtype=np.float32) + 0.1)
    assert evaluate_analogies(kv)["file"].endswith("questions-words.txt")
    assert evaluate_pairs(kv)["file"].endswith("wordsim353.tsv")
