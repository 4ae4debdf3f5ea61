"""The layered path of the subword (fastText) models: the same model through embed.nn.

``EmbeddingBag`` over (word rows, n-gram rows) -> ``negative_sampling_loss`` (or the
full-softmax cross-check) -> ``optimizer.step`` on sparse rows. fastText's convention, which
the kernels follow, sends each row of a bag the whole gradient of the bag's mean, not gradient
/ rows: the bag's gradient (that of a mean) is scaled back up by the bag's size before the
step.

With ``block_steps`` (and plain SGD) this path computes exactly the kernels' updates, from
examples its walkers (`embed.w2v.examples_subword`) draw as the kernels draw them:

- skip-gram: one optimizer step per kernel block (a centre's bag, repeated for each of its
  contexts, each against the negatives of its shared set);
- CBOW: the kernel's schedule (`embed.w2v.kernels_subword_cbow`): a position's word is
  composed (bag forward) when it enters the windows and receives the gradients its centres
  sent it (bag backward, a step on the input rows) when it leaves them; each centre steps the
  output rows.

Otherwise it steps on ``LAYERED_ROWS`` examples at a time: skip-gram pairs, or CBOW centres each
averaging every row of its context words (fastText's CBOW input).
"""
from __future__ import annotations

import numpy as np

from embed.w2v.kernels_sg import MAX_BLOCK
from embed.w2v.layered import HYPER_BETA, LAYERED_ROWS, LayeredTrainer
from embed.w2v.settings import TrainSettings
from embed.w2v.subword_rows import NGRAMS, vocab_rows, word_bags


class SubwordLayeredTrainer(LayeredTrainer):
    """One thread's layered training of a subword model over its tables (shared)."""

    def __init__(self, model, keep, table, settings: TrainSettings, lr: float, max_chunk: int,
                 block_steps: bool = False, hyper_beta: float = HYPER_BETA):
        from embed.nn.bag import EmbeddingBag

        self.ngrams = model.arrays[NGRAMS]
        self.bag = EmbeddingBag([model.vectors, self.ngrams])
        self.noff, self.nrows = vocab_rows(model, settings)
        self.V = len(model.vocab)
        super().__init__(model, keep, table, settings, lr, max_chunk, block_steps, hyper_beta)
        n, win, k = max_chunk, settings.window, settings.negative
        blocks = n * (-(-2 * win // MAX_BLOCK))
        self.centres = np.empty(blocks, np.int32)
        self.bcounts = np.empty(blocks, np.int32)
        self.sets = np.empty(MAX_BLOCK * k, np.int32)
        self.pair_negs = np.empty((2 * win * n, k), np.int32)
        self.negs_all = np.empty((n, k), np.int32)
        self.positions = np.empty(n, np.int32)

    def params(self) -> dict:
        return {"vectors": self.bag.tables[0], NGRAMS: self.ngrams, "output": self.out}

    def _bags(self, words: np.ndarray, per_example: np.ndarray):
        """Bag ids/offsets of examples that each average every row of ``per_example[e]``
        consecutive words of ``words``; and each example's row count."""
        ids, offsets = word_bags(words, self.noff, self.nrows, self.V)
        ends = np.concatenate(([0], np.cumsum(per_example)))
        offsets = offsets[ends]
        return (ids, offsets), np.diff(offsets)

    def _input_step(self, bags, rows, dh, loss_grads=()):
        """Backward through the bag (the whole gradient to every row) and one optimizer step
        on the input tables (and the output table when ``loss_grads`` holds its gradient)."""
        self.bag.backward(dh * rows[:, None].astype(dh.dtype))
        params = [*self.bag.tables] + ([self.out] if loss_grads else [])
        grads = [*self.bag.grads(), *loss_grads]
        if self.hyper is not None:
            self.hyper.apply(self.opt, grads)
        self.opt.step(params, grads)

    def _example_step(self, words, per_example, targets, mask):
        """One step on examples of bags of words against ``targets``: skip-gram blocks and
        CBOW centres alike."""
        bags, rows = self._bags(words, per_example)
        h = self.bag.forward(bags)
        loss, dh, gout = self._loss(h, targets, mask)
        self._input_step(bags, rows, dh, [gout])
        return loss

    def run(self, ids, ends, lr, seed):
        """Train one chunk; return (trained words, loss sum, examples in it, the rate after)."""
        if self.hyper is None:
            self.opt.lr = lr
        if self.st.model == "skipgram":
            total, count = self._skipgram(ids, ends, seed)
        elif self.block_steps:
            total, count = self._cbow_ring(ids, ends, seed)
        else:
            total, count = self._cbow(ids, ends, seed)
        return int(len(ids)), total, count, self.opt.lr

    def _skipgram(self, ids, ends, seed):
        from embed.w2v.examples_subword import sg_subword_walk

        st = self.st
        blocks, entries = sg_subword_walk(self.out, ids, ends, self.keep, self.table, st.window,
                                          st.negative, st.neg_share, st.keep_unk, seed,
                                          self.buf, self.lo, self.hi, self.sets, self.centres,
                                          self.bcounts, self.ctx, self.pair_negs)
        counts = self.bcounts[:blocks]
        # one example per (centre, context) pair: the centre's bag against [context, the
        # negatives of its shared set], a negative equal to the context masked (word2vec's rule)
        centres = np.repeat(self.centres[:blocks], counts)
        targets = np.column_stack([self.ctx[:entries], self.pair_negs[:entries]])
        mask = (targets != targets[:, :1]).astype(np.float32)
        mask[:, 0] = 1
        if self.block_steps:
            starts = np.concatenate(([0], np.cumsum(counts)))
            cuts = list(zip(starts[:-1].tolist(), starts[1:].tolist()))
        else:
            cuts = [(s, min(entries, s + LAYERED_ROWS)) for s in range(0, entries, LAYERED_ROWS)]
        total = 0.0
        ones = np.ones(entries, np.int64)
        for s, e in cuts:
            total += self._example_step(centres[s:e], ones[s:e], targets[s:e], mask[s:e])
        return total, entries

    def _cbow_walk(self, ids, ends, seed):
        from embed.w2v.examples_subword import cbow_subword_walk

        st = self.st
        return cbow_subword_walk(self.out, ids, ends, self.keep, self.table, st.window,
                                 st.negative, st.keep_unk, seed, self.buf, self.lo, self.hi,
                                 self.negs, self.positions, self.ctx, self.counts,
                                 self.negs_all)

    def _cbow_targets(self, rows):
        centres = self.buf[self.positions[:rows]]
        targets = np.column_stack([centres, self.negs_all[:rows]])
        mask = (targets != targets[:, :1]).astype(np.float32)
        mask[:, 0] = 1
        return targets, mask

    def _cbow(self, ids, ends, seed):
        """Steps of up to LAYERED_ROWS / (2 * window) centres, each the mean of every row of
        its context words."""
        n, rows, entries = self._cbow_walk(ids, ends, seed)
        targets, mask = self._cbow_targets(rows)
        counts = self.counts[:rows]
        words = self.buf[self.ctx[:entries]]
        offsets = np.concatenate(([0], np.cumsum(counts)))
        step = max(1, LAYERED_ROWS // (2 * self.st.window))
        total = 0.0
        for s in range(0, rows, step):
            e = min(rows, s + step)
            total += self._example_step(words[offsets[s]:offsets[e]], counts[s:e],
                                        targets[s:e], mask[s:e])
        return total, rows

    def _cbow_ring(self, ids, ends, seed):
        """The kernel's schedule, step for step (see the module doc)."""
        n, rows, entries = self._cbow_walk(ids, ends, seed)
        targets, mask = self._cbow_targets(rows)
        win = self.st.window
        R = 2 * win + 1
        dim = self.st.dim
        U = np.zeros((R, dim), np.float32)
        E = np.zeros((R, dim), np.float32)
        kc = np.zeros(R, np.int64)
        one = np.ones(1, np.int64)

        def enter(j):
            bags, k = self._bags(self.buf[j:j + 1], one)
            U[j % R] = self.bag.forward(bags)[0]
            kc[j % R] = k[0]
            E[j % R] = 0

        def flush(j):
            bags, k = self._bags(self.buf[j:j + 1], one)
            self.bag.forward(bags)
            self._input_step(bags, k, E[j % R][None, :])

        for j in range(min(win, n)):
            enter(j)
        total = 0.0
        offsets = np.concatenate(([0], np.cumsum(self.counts[:rows])))
        r = 0
        for i in range(n):
            if i - win - 1 >= 0:
                flush(i - win - 1)
            if i + win < n:
                enter(i + win)
            if r < rows and self.positions[r] == i:
                slots = self.ctx[offsets[r]:offsets[r + 1]] % R
                w = kc[slots].astype(np.float32)
                h = (w[:, None] * U[slots]).sum(axis=0, keepdims=True) / w.sum()
                loss, dh, gout = self._loss(h.astype(np.float32), targets[r:r + 1],
                                            mask[r:r + 1])
                self.opt.step([self.out], [gout])
                np.add.at(E, slots, np.repeat(dh, len(slots), axis=0))
                total += loss
                r += 1
        for j in range(max(0, n - win - 1), n):
            flush(j)
        return total, rows
