"""The hierarchical-softmax tree: word2vec.c's CreateBinaryTree, compared with a line-by-line
transcription of it, with hand-built trees (ties), and with gensim's tree."""
import numpy as np
import pytest

from embed.errors import EmbedError
from embed.w2v import huffman


def word2vec_c_tree(cn):
    """word2vec.c's CreateBinaryTree transcribed (counts ``cn`` in vocabulary order, falling):
    returns ({word: (code, point)}, whether any comparison met a tie)."""
    V = len(cn)
    count = list(cn) + [10 ** 15] * V
    binary = [0] * (2 * V)
    parent = [0] * (2 * V)
    pos1, pos2, tie = V - 1, V, len(set(cn)) < V
    for a in range(V - 1):
        picked = []
        for _ in range(2):
            if pos1 >= 0:
                tie |= count[pos1] == count[pos2]
                if count[pos1] < count[pos2]:
                    picked.append(pos1)
                    pos1 -= 1
                    continue
            picked.append(pos2)
            pos2 += 1
        count[V + a] = count[picked[0]] + count[picked[1]]
        parent[picked[0]] = parent[picked[1]] = V + a
        binary[picked[1]] = 1
    out = {}
    for a in range(V):
        code, point, b = [], [], a
        while True:
            code.append(binary[b])
            point.append(b)
            b = parent[b]
            if b == 2 * V - 2:
                break
        i = len(code)
        # word2vec.c: point[0] = the root, then point[i - b] = point[b] - V; the leaf's own
        # entry (point[i]) is never read, so the path is point[:i]
        pts = [V - 2] + [point[i - 1 - j] - V for j in range(i - 1)]
        out[a] = (code[::-1], pts)
    return out, tie


def ours(counts, keep_unk=True):
    t = huffman.build_tree(np.asarray(counts), keep_unk)
    L = t[huffman.LENGTHS]
    return {w: (t[huffman.CODES][w, :L[w]].tolist(), t[huffman.POINTS][w, :L[w]].tolist())
            for w in range(len(counts)) if L[w]}


def test_hand_built_trees_with_ties():
    # four equal counts: word2vec.c joins the two rarest-placed leaves (3, 2), then (1, 0)
    assert ours([1, 1, 1, 1]) == {0: ([1, 1], [2, 1]), 1: ([1, 0], [2, 1]),
                                  2: ([0, 1], [2, 0]), 3: ([0, 0], [2, 0])}
    # 2, 1, 1: node 3 (= 1 + 1) ties with leaf 0; the inner node is taken first (code 0)
    assert ours([2, 1, 1]) == {0: ([1], [1]), 1: ([0, 1], [1, 0]), 2: ([0, 0], [1, 0])}
    # UNK (id 0) dropped: the leaves are ids 1.. and the node table has V - 2 rows
    t = huffman.build_tree(np.array([50, 2, 1, 1]), keep_unk=False)
    assert t[huffman.LENGTHS].tolist() == [0, 1, 2, 2]
    assert t[huffman.POINTS][1:, 0].tolist() == [1, 1, 1]     # root = node L - 2 = 1


@pytest.mark.parametrize("seed", range(12))
def test_equals_word2vec_c_on_small_vocabularies_full_of_ties(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(2, 40))
    counts = np.sort(rng.integers(1, 6, V))[::-1]              # few distinct counts: ties
    ref, tie = word2vec_c_tree(counts.tolist())
    assert tie or V < 4
    assert ours(counts) == ref


def test_leaves_follow_counts_and_unk_is_a_leaf_only_with_keep_unk():
    counts = np.array([900, 40, 30, 20, 10])      # UNK the most frequent, as word2vec's </s>
    kept = huffman.build_tree(counts, keep_unk=True)
    assert kept[huffman.LENGTHS][0] == 1          # the most frequent word: one decision
    assert ours(counts) == word2vec_c_tree(counts.tolist())[0]
    # a vocabulary whose counts are not in falling order (UNK rare, say): leaves sorted first
    counts = np.array([3, 40, 30, 20, 10])
    perm = [1, 2, 3, 4, 0]
    ref = word2vec_c_tree(counts[perm].tolist())[0]
    assert ours(counts) == {perm[k]: v for k, v in ref.items()}
    dropped = huffman.build_tree(counts, keep_unk=False)
    assert dropped[huffman.LENGTHS][0] == 0 and dropped[huffman.POINTS].max() == 2
    with pytest.raises(EmbedError, match="at least two words"):
        huffman.build_tree(np.array([5, 7]), keep_unk=False)


def _gensim_tree(counts):
    from gensim.models import KeyedVectors
    from gensim.models.word2vec import _assign_binary_codes

    wv = KeyedVectors(vector_size=2)
    words = [f"w{i}" for i in range(len(counts))]
    wv.index_to_key = words
    wv.key_to_index = {w: i for i, w in enumerate(words)}
    for i, c in enumerate(counts):
        wv.set_vecattr(i, "count", int(c))
    _assign_binary_codes(wv)
    return {i: (wv.get_vecattr(i, "code").tolist(), wv.get_vecattr(i, "point").tolist())
            for i in range(len(counts))}


def test_equals_gensims_tree_where_no_counts_tie():
    """gensim merges with a heap: the same two smallest nodes as word2vec.c's two queues, in
    the same order, with the same node numbering and codes, whenever no compared counts tie."""
    rng = np.random.default_rng(7)
    checked = 0
    while checked < 15:
        V = int(rng.integers(2, 300))
        counts = np.sort(rng.choice(10 ** 7, V, replace=False) + 1)[::-1]
        ref, tie = word2vec_c_tree(counts.tolist())
        if tie:
            continue
        assert ours(counts) == _gensim_tree(counts) == ref
        checked += 1


def test_on_ties_gensims_tree_may_differ_but_is_as_short():
    """With ties gensim's heap (it compares counts only) may pick another of the equal nodes;
    both trees are Huffman trees: the same total count-weighted path length."""
    differ = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        counts = np.sort(rng.integers(1, 4, 30))[::-1]
        a, g = ours(counts), _gensim_tree(counts)
        cost = [sum(int(counts[w]) * len(t[w][0]) for w in t) for t in (a, g)]
        assert cost[0] == cost[1]
        differ += a != g
    assert differ > 0     # word2vec.c's tie rule, not gensim's: a deliberate difference


def test_check_tree_refuses_damage():
    counts = np.array([0, 9, 5, 4, 2, 1])
    good = huffman.fresh_arrays(counts, keep_unk=False, dim=3)
    huffman.check_tree(good, 6, 3, False, "m")

    def damaged(name, fn):
        arrays = {k: v.copy() for k, v in good.items()}
        arrays[name] = fn(arrays[name])
        with pytest.raises(EmbedError, match=name):
            huffman.check_tree(arrays, 6, 3, False, "m")

    damaged(huffman.POINTS, lambda p: p + 7)                   # leaves the node table
    damaged(huffman.POINTS, lambda p: -p - 1)
    damaged(huffman.CODES, lambda c: c + 2)
    damaged(huffman.LENGTHS, lambda n: n + 9)                  # longer than the array
    damaged(huffman.LENGTHS, lambda n: n * 0)                  # a trained word off the tree
    damaged(huffman.POINTS, lambda p: p.astype(np.int64))
    damaged(huffman.NODES, lambda t: t[:-1])                   # rows for another vocabulary
    with pytest.raises(EmbedError, match="hs_points.npy is uint8"):
        huffman.check_tree({**good, huffman.POINTS: good[huffman.CODES]}, 6, 3, False, "m")
    with pytest.raises(EmbedError, match="hs_nodes.npy"):
        huffman.check_tree({k: v for k, v in good.items() if k != huffman.NODES}, 6, 3,
                           False, "m")
