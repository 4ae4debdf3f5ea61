"""Intrinsic evaluation: word analogies and word-pair similarity, scored as gensim scores them.

Both follow gensim's `KeyedVectors.evaluate_word_analogies` / `evaluate_word_pairs` rule for
rule, so the numbers can be compared with gensim's directly (the tests check that they are
equal): only the first `restrict_vocab` rows count as vocabulary (rows are in frequency order),
case-insensitive matching maps every case variant to its most frequent spelling, and questions
or pairs with an unknown word are skipped and reported as a share of the file.

The analogy questions are answered in batches (one matrix product per chunk of questions) instead
of one `most_similar` call each.

Words are found as the queries find them (`KeyedVectors.lookup`): a word not among the counted
rows is tried through the model's ``normalize``, and a word with no row at all is answered by
the model's `_oov_vector` when it has one (a subword model), as a query term only: an expected
answer must have a row to be predicted.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import stats

from embed.errors import EmbedError
from embed.vectors import CHUNK, KeyedVectors, topk_rows

ANALOGIES = "questions-words.txt"
PAIRS = ("wordsim353.tsv", "simlex999.txt")

# gensim takes the 5 best answers (query words left out) and keeps the first that is not a
# case variant of a query word.
_CANDIDATES = 5


def datapath(name: str) -> Path:
    """A test file shipped with gensim (questions-words.txt, wordsim353.tsv, simlex999.txt)."""
    from gensim.test.utils import datapath as gensim_datapath

    return Path(gensim_datapath(name))


def _ok_vocab(kv: KeyedVectors, restrict_vocab: int | None, case_insensitive: bool) -> dict:
    """key -> row over the first `restrict_vocab` rows; with case folding the lowest
    (most frequent) row of each upper-cased spelling wins."""
    ok = {}
    for i, w in enumerate(kv.words[:restrict_vocab]):
        ok.setdefault(w.upper() if case_insensitive else w, i)
    return ok


def _find(kv: KeyedVectors, ok: dict, word: str, fold: bool):
    """(key, row, unit vector or None) of a question word, or None when the question must be
    skipped. `key` is what answers are compared with; row -1 means the vector came from
    `_oov_vector`. A word whose row lies beyond `restrict_vocab` stays out, as in gensim."""
    key = word.upper() if fold else word
    if key in ok:
        return key, ok[key], None
    row, vec = kv.lookup(word)
    if row >= 0:  # found through the normaliser: counts if that word is among the first rows
        key = kv.words[row].upper() if fold else kv.words[row]
        return (key, ok[key], None) if key in ok else None
    if vec is None:
        return None
    return key, -1, vec / (np.linalg.norm(vec) or 1.0)


def _units(kv: KeyedVectors, rows: np.ndarray, extra: dict) -> np.ndarray:
    """Unit vectors [*rows.shape, dim] of `rows` (any shape), where -1 entries take their
    vector from `extra` (flat index into `rows` -> vector)."""
    out = kv.normed[np.maximum(rows, 0)]
    flat = out.reshape(-1, kv.dim)
    for i, vec in extra.items():
        flat[i] = vec
    return out


def _read_lines(path) -> list[str]:
    path = Path(path)
    if path.is_dir():
        raise EmbedError(f"{path} is a directory, not an evaluation file")
    if not path.is_file():
        raise EmbedError(f"evaluation file not found: {path}")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise EmbedError(f"{path}: not a UTF-8 text file") from None


def read_analogies(path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Section names and ``(section number, [a, b, c, d])`` questions of a questions-words
    file; malformed lines are skipped as gensim skips them. EmbedError for a missing file, a
    question before the first ``: section`` line, or no question at all."""
    path = Path(path)
    names: list[str] = []
    questions = []
    for lineno, line in enumerate(_read_lines(path), 1):
        if line.startswith(": "):
            names.append(line.lstrip(": ").strip())
            continue
        if not names:
            raise EmbedError(f"{path}:{lineno}: a question before the first ': section' line")
        words = line.split()
        if len(words) == 4:
            questions.append((len(names) - 1, words))
    if not questions:
        raise EmbedError(f"{path}: no analogy questions ('a b c d' lines under ': section' "
                         "headers)")
    return names, questions


def evaluate_analogies(kv: KeyedVectors, path=None, restrict_vocab: int | None = 30_000,
                       case_insensitive: bool = True) -> dict:
    """Accuracy on analogy questions ``a b c d`` ("a is to b as c is to d") grouped in
    sections by ``: name`` lines (questions-words format; default: gensim's copy).

    Each question is answered by 3CosAdd over the first `restrict_vocab` words; a question with
    a word outside them is skipped. Returns ``{"accuracy", "correct", "total", "sections":
    [{"name", "correct", "total", "accuracy"}], "oov" (the share of questions skipped, 0..1),
    "questions" (all questions read)}``; an accuracy is 0.0 when nothing was answered.
    """
    path = datapath(ANALOGIES) if path is None else Path(path)
    if restrict_vocab is not None and restrict_vocab < 1:
        raise EmbedError(f"restrict_vocab must be at least 1, got {restrict_vocab}")
    ok = _ok_vocab(kv, restrict_vocab, case_insensitive)
    names, questions = read_analogies(path)
    sections = [{"name": name, "correct": 0, "total": 0} for name in names]
    quads, owner, rows = [], [], []  # per answerable question: (a, b, c, d) keys, section, rows
    extra = {}  # flat index into rows [q, 3] -> unit vector of a word without a row
    oov = 0
    for sec, words in questions:
        found = [_find(kv, ok, w, case_insensitive) for w in words]
        if any(f is None for f in found) or found[3][1] < 0:
            oov += 1
            continue
        for j, (_, _, vec) in enumerate(found[:3]):
            if vec is not None:
                extra[3 * len(quads) + j] = vec
        quads.append([f[0] for f in found])
        owner.append(sec)
        rows.append([f[1] for f in found[:3]])

    if quads:
        answers = _answer(kv, np.array(rows, dtype=np.int64), extra, restrict_vocab)
        for words, sec, cands in zip(quads, owner, answers):
            a, b, c, expected = words
            predicted = None
            for cand in cands:
                predicted = kv.words[cand]
                if case_insensitive:
                    predicted = predicted.upper()
                if predicted not in (a, b, c):
                    break
            sections[sec]["total"] += 1
            sections[sec]["correct"] += predicted == expected
    for s in sections:
        s["accuracy"] = s["correct"] / s["total"] if s["total"] else 0.0
    correct = sum(s["correct"] for s in sections)
    total = sum(s["total"] for s in sections)
    return {
        "accuracy": correct / total if total else 0.0,
        "correct": correct,
        "total": total,
        "sections": sections,
        "oov": oov / len(questions),
        "questions": len(questions),
        "file": str(path),
    }


def _answer(kv: KeyedVectors, abc: np.ndarray, extra: dict,
            restrict_vocab: int | None) -> list[list[int]]:
    """Rows of the `_CANDIDATES` best 3CosAdd answers to b - a + c for each row of `abc` [q, 3]
    (-1: the unit vector is in `extra`, keyed by flat index), best first, the query rows left
    out."""
    matrix = kv.normed[:restrict_vocab]
    k = min(_CANDIDATES, matrix.shape[0])
    out = []
    for start in range(0, len(abc), CHUNK):
        block = np.ascontiguousarray(abc[start:start + CHUNK])
        mine = {i - 3 * start: v for i, v in extra.items() if 0 <= i - 3 * start < block.size}
        terms = _units(kv, block, mine)  # [c, 3, dim]
        q = terms[:, 1] + terms[:, 2] - terms[:, 0]
        q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-30)
        top, _ = topk_rows(q @ matrix.T, k, block)
        out += [[i for i in ids if i >= 0] for ids in top.tolist()]
    return out


def evaluate_pairs(kv: KeyedVectors, path=None, restrict_vocab: int | None = 300_000,
                   case_insensitive: bool = True, delimiter: str | None = None) -> dict:
    """Correlation between cosine similarity and human scores on ``w1 w2 score`` lines
    (default: gensim's wordsim353.tsv). `delimiter=None` splits on tabs when a line has one,
    else on whitespace; ``#`` lines and malformed lines are skipped.

    Returns ``{"spearman", "pearson", "oov", "pairs", "oov_pairs", "file"}``: `oov` is the
    share (0..1; gensim reports it in percent) of pairs with a word outside the first
    `restrict_vocab` words, which are left out; `pairs` is the number of pairs scored.
    """
    path = datapath(PAIRS[0]) if path is None else Path(path)
    ok = _ok_vocab(kv, restrict_vocab, case_insensitive)
    gold, rows = [], []  # rows [p, 2]
    extra = {}  # flat index into rows -> unit vector of a word without a row
    oov = 0
    for a, b, score in read_pairs(path, delimiter):
        found = [_find(kv, ok, w, case_insensitive) for w in (a, b)]
        if found[0] is None or found[1] is None:
            oov += 1
            continue
        for j, (_, _, vec) in enumerate(found):
            if vec is not None:
                extra[2 * len(gold) + j] = vec
        gold.append(score)
        rows.append([found[0][1], found[1][1]])
    if len(gold) < 2:  # a correlation of fewer than two points is undefined
        raise EmbedError(f"{path}: {'only one pair has' if gold else 'no pair with'} both words "
                         f"in the vocabulary ({oov} pairs out of vocabulary); a correlation "
                         "needs at least 2")
    units = _units(kv, np.array(rows, dtype=np.int64), extra)  # [p, 2, dim]
    model = np.einsum("ij,ij->i", units[:, 0], units[:, 1])
    spearman = stats.spearmanr(gold, model)[0]
    pearson = stats.pearsonr(gold, model)[0]
    return {
        "spearman": float(spearman),
        "pearson": float(pearson),
        "oov": oov / (len(gold) + oov),
        "pairs": len(gold),
        "oov_pairs": oov,
        "file": str(path),
    }


def read_pairs(path, delimiter: str | None = None) -> list[tuple[str, str, float]]:
    """``(word1, word2, score)`` of a word-pair file. `delimiter=None` splits on tabs when a
    line has one, else on whitespace; ``#`` lines and malformed lines (a header such as
    ``word1 word2 score``) are skipped. EmbedError for a missing file or no pair at all."""
    path = Path(path)
    pairs = []
    for line in _read_lines(path):
        if not line or line.startswith("#"):
            continue
        sep = delimiter if delimiter is not None else ("\t" if "\t" in line else None)
        parts = line.split(sep)
        if len(parts) != 3:
            continue
        try:
            pairs.append((parts[0], parts[1], float(parts[2])))
        except ValueError:
            continue
    if not pairs:
        raise EmbedError(f"{path}: no 'word1 word2 score' lines; not a word-pair file")
    return pairs


def default_pair_files() -> list[Path]:
    return [datapath(name) for name in PAIRS]
