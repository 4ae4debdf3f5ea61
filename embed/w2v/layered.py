"""The layered path: the same models through embed.nn, for any optimizer and schedule.

``Embedding`` -> (mean of the context rows for CBOW) -> ``negative_sampling_loss`` (or the
full-softmax cross-check) and/or ``hierarchical_softmax_loss`` -> ``optimizer.step`` on sparse
rows, one thread; with both output layers, one step each, the tree's first, as the fused
kernels do. The examples come
from ``embed.w2v.examples``, which walks a chunk exactly as the fused kernels do, so with plain
SGD and ``block_steps=True`` (one optimizer step per fused block) this path computes the fused
kernels' update, block for block: the cross-check test compares whole chunks. For speed it
otherwise steps on ``LAYERED_ROWS`` examples at a time.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from embed.errors import EmbedError
from embed.nn.errors import NNError
from embed.w2v import huffman
from embed.w2v.kernels_hs import cbow_group
from embed.w2v.kernels_sg import HS_BLOCK, MAX_BLOCK
from embed.w2v.settings import TrainSettings

LAYERED_ROWS = 512      # examples per optimizer step
SOFTMAX_MAX_VOCAB = 5000
# Hypergradient step on the rate. The losses are sums over LAYERED_ROWS examples, so the product
# of successive gradients scales with LAYERED_ROWS**2; Baydin et al.'s 1e-3 (for mean losses)
# is rescaled to match.
HYPER_BETA = 1e-3 / LAYERED_ROWS ** 2


class Head(NamedTuple):
    """One output layer of the layered path: its table, its loss(h, targets, mask) -> (loss,
    dh, table gradient), and how the fused kernels step it: skip-gram contexts per block
    (``sg_block``), and whether CBOW steps it one centre at a time."""

    table: np.ndarray
    loss: Callable
    sg_block: int
    per_centre: bool


class LayeredTrainer:
    """One thread's layered training over the model's tables (shared, not copied)."""

    def __init__(self, model, keep, table, settings: TrainSettings, lr: float, max_chunk: int,
                 block_steps: bool = False, hyper_beta: float = HYPER_BETA):
        from embed.nn.layers import Embedding
        from embed.nn.optimizers import get_optimizer
        from embed.nn.schedules import Hypergradient

        st = self.st = settings
        self.keep, self.table, self.block_steps = keep, table, block_steps
        self.emb = Embedding(1, st.dim)
        self.emb.W = model.vectors
        self.out = model.output
        self.tree = model.arrays if st.hs else None
        # the output layers, stepped one after the other in the fused kernels' order
        self.heads = ([Head(model.arrays[huffman.NODES], self._hs_loss, HS_BLOCK, True)]
                      if st.hs else [])
        if self.out is not None:
            self.heads.append(Head(self.out, self._loss, MAX_BLOCK, False))
        self.opt = get_optimizer(st.optimizer, lr=lr)
        self.hyper = (Hypergradient(lr, beta=hyper_beta, lr_min=st.min_alpha)
                      if st.lr_schedule == "hypergradient" else None)
        n, win, k = max_chunk, st.window, st.negative
        self.buf, self.lo, self.hi = (np.empty(n, np.int32) for _ in range(3))
        self.ctx = np.empty(2 * win * n, np.int32)
        self.counts = np.empty(n, np.int32)
        self.ntargets = np.empty(n, np.int32)
        self.groups = np.empty(n, np.int32)
        self.targets = np.empty((n, k + 1), np.int32)
        self.pair = np.empty((2, k + 1), np.int32)
        G = self.group = cbow_group(st) if st.hs else st.cbow_group
        self.gctx = np.empty((G, 2 * win), np.int32)
        self.gcnt = np.empty(G, np.int32)
        self.gcentres = np.empty(G, np.int32)
        self.negs = np.empty((2, k), np.int32)
        if model.optimizer_state:
            try:
                self.opt.load_state_dict(model.optimizer_state, self.params())
            except NNError as e:
                raise EmbedError(f"the saved optimizer state does not fit the model: {e}") from None

    def params(self) -> dict:
        params = {"vectors": self.emb.W}
        if self.out is not None:
            params["output"] = self.out
        if self.tree is not None:
            params[huffman.NODES] = self.tree[huffman.NODES]
        return params

    def state(self) -> dict:
        """The optimizer's slots (empty for SGD) for ``optimizer.npz``."""
        return {k: v for k, v in self.opt.state_dict(self.params()).items() if k != "lr"}

    def _loss(self, h, targets, mask):
        """(loss, dh, grad for the output table) from the configured loss, summed over rows."""
        from embed.nn.losses import negative_sampling_loss, softmax_cross_entropy

        if self.st.loss == "negative":
            return negative_sampling_loss(h, self.out, targets, reduction="sum", mask=mask)
        m = h.shape[0]
        # a dropped UNK is no class either (as it is never a negative): softmax over words 1..V-1
        first = 0 if self.st.keep_unk else 1
        out = self.out[first:]
        logits = h @ out.T
        onehot = np.zeros_like(logits)
        onehot[np.arange(m), targets[:, 0] - first] = 1
        loss, dlogits = softmax_cross_entropy(logits, onehot)
        dlogits *= m                        # the core's loss is a mean; word2vec's is a sum
        gout = np.zeros_like(self.out)
        gout[first:] = dlogits.T @ h
        return loss * m, dlogits @ out, gout

    def _hs_loss(self, h, targets, mask):
        """(loss, dh, grad for the node table): each row's centre word (targets[:, 0]) as its
        Huffman path; ``mask`` (negative sampling's) does not apply."""
        from embed.nn.losses import hierarchical_softmax_loss

        centres = targets[:, 0]
        tree = self.tree
        lengths = tree[huffman.LENGTHS][centres]
        on_path = np.arange(tree[huffman.POINTS].shape[1])[None, :] < lengths[:, None]
        return hierarchical_softmax_loss(h, tree[huffman.NODES], tree[huffman.POINTS][centres],
                                         tree[huffman.CODES][centres], mask=on_path)

    def _step(self, inputs, targets, mask, counts=None, heads=None):
        """One optimizer step per output layer (``heads``: all) on ``inputs`` (skip-gram: one
        row per example) or, with ``counts``, on CBOW examples averaging ``counts[i]``
        consecutive input rows each. Returns the summed loss."""
        tables = [head.table for head in self.heads]
        total = 0.0
        for head in heads or self.heads:
            vecs = self.emb.forward(inputs)
            if counts is None:
                h = vecs
            else:
                offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
                h = (np.add.reduceat(vecs, offsets, axis=0) / counts[:, None]).astype(np.float32)
            loss, dh, gtable = head.loss(h, targets, mask)
            # word2vec's CBOW convention: every context row gets the whole gradient of h
            self.emb.backward(dh if counts is None else np.repeat(dh, counts, axis=0))
            # every table keeps its place, so a hypergradient pairs each one's own gradients
            grads = [self.emb.grad] + [gtable if t is head.table else None for t in tables]
            if self.hyper is not None:
                self.hyper.apply(self.opt, grads)
            self.opt.step([self.emb.W, *tables], grads)
            total += loss
        return total

    def run(self, ids, ends, lr, seed):
        """Train one chunk; return (trained words, loss sum, examples in it, the rate after)."""
        from embed.w2v.examples import cbow_walk, sg_walk

        st = self.st
        if self.hyper is None:
            self.opt.lr = lr
        win, k = st.window, st.negative
        if st.model == "skipgram":
            prefetched = self.out if self.out is not None else self.emb.W
            rows, _ = sg_walk(prefetched, ids, ends, self.keep, self.table, win, k, st.keep_unk,
                              seed, self.buf, self.lo, self.hi, self.pair, self.ctx, self.counts,
                              self.targets, self.ntargets)
            total, count = self._skipgram(rows)
        else:
            rows, _ = cbow_walk(ids, ends, self.keep, self.table, win, k, st.keep_unk, seed,
                                self.group, self.buf, self.lo, self.hi, self.gctx, self.gcnt,
                                self.gcentres, self.negs, self.ctx, self.counts, self.targets,
                                self.groups)
            total, count = self._cbow(rows)
        return int(len(ids)), total, count, self.opt.lr

    def _skipgram(self, rows):
        """One example per (context, centre) pair, the centre's targets shared by its contexts;
        targets past a row's ``ntargets`` (skipped negatives) are masked."""
        counts = self.counts[:rows]
        k1 = self.targets.shape[1]
        valid = np.arange(k1)[None, :] < self.ntargets[:rows, None]
        mask = valid.astype(np.float32)
        # the masked slots hold no draw: point them at a real row (they add nothing)
        rows_targets = np.where(valid, self.targets[:rows], self.targets[:rows, :1])
        pairs = int(counts.sum())
        targets = np.repeat(rows_targets, counts, axis=0)
        masks = np.repeat(mask, counts, axis=0)
        if self.block_steps:   # the fused kernel's blocks: each centre's contexts, per head
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            steps = [(s + a, s + min(a + head.sg_block, m), [head])
                     for s, m in zip(starts.tolist(), counts.tolist()) for head in self.heads
                     for a in range(0, m, head.sg_block)]
        else:
            steps = [(s, min(pairs, s + LAYERED_ROWS), None)
                     for s in range(0, pairs, LAYERED_ROWS)]
        total = 0.0
        for s, e, heads in steps:
            total += self._step(self.ctx[s:e], targets[s:e], masks[s:e], heads=heads)
        return total, pairs

    def _cbow(self, rows):
        """One example per centre word (the mean of its contexts); the group's shared negatives
        equal to the row's centre are masked."""
        counts = self.counts[:rows]
        targets = self.targets[:rows]
        mask = (targets != targets[:, :1]).astype(np.float32)
        mask[:, 0] = 1
        offsets = np.concatenate(([0], np.cumsum(counts)))
        if self.block_steps:   # the fused kernel's blocks: one group each
            g = self.groups[:rows]
            bounds = np.flatnonzero(np.diff(g)) + 1
            cuts = list(zip(np.concatenate(([0], bounds)).tolist(),
                            np.concatenate((bounds, [rows])).tolist()))
        else:
            step = max(1, LAYERED_ROWS // (2 * self.st.window))
            cuts = [(s, min(rows, s + step)) for s in range(0, rows, step)]
        total = 0.0
        for s, e in cuts:
            for head in self.heads:
                # the fused kernel steps each centre's path on its own, the negatives per group
                one_by_one = self.block_steps and head.per_centre
                for a, b in ([(r, r + 1) for r in range(s, e)] if one_by_one else [(s, e)]):
                    total += self._step(self.ctx[offsets[a]:offsets[b]], targets[a:b],
                                        mask[a:b], counts[a:b], heads=[head])
        return total, rows


def layered_trainer(model, keep, table, settings: TrainSettings, lr: float, max_chunk: int,
                    **kwargs) -> LayeredTrainer:
    """The layered trainer of the model's family (a subword model has its own inputs)."""
    if settings.subwords:
        from embed.w2v.layered_subword import SubwordLayeredTrainer

        return SubwordLayeredTrainer(model, keep, table, settings, lr, max_chunk, **kwargs)
    return LayeredTrainer(model, keep, table, settings, lr, max_chunk, **kwargs)
