"""What the fused-kernel tests compare with: the layered embed.nn step (Embedding -> (mean of
the context rows for CBOW) -> an output loss -> SGD on sparse rows), and one epoch of whole
chunks through either path."""
import numpy as np

from embed.nn.layers import Embedding
from embed.nn.optimizers import get_optimizer


def layered_sgd_step(W_in, W_out, in_ids, output_loss, lr, reduce_counts=None):
    """One SGD step of rate ``lr`` on ``W_in`` and ``W_out`` (in place); ``output_loss(h)`` ->
    (summed loss, dh, W_out's gradient). Returns the loss."""
    emb = Embedding(W_in.shape[0], W_in.shape[1])
    emb.W = W_in
    h = emb.forward(in_ids)
    if reduce_counts is not None:
        offsets = np.concatenate(([0], np.cumsum(reduce_counts)[:-1]))
        h = (np.add.reduceat(h, offsets, axis=0) / reduce_counts[:, None]).astype(np.float32)
    loss, dh, gout = output_loss(h)
    if reduce_counts is not None:  # word2vec: each context row gets the whole gradient of h
        dh = np.repeat(dh, reduce_counts, axis=0)
    emb.backward(dh)
    get_optimizer("sgd", lr=lr).step([W_in, W_out], [emb.grad, gout])
    return loss


def run_chunks(settings, ids, ends, runner):
    """Every chunk of one epoch, in order, one thread (what train() does with threads=1),
    through ``runner(ids, ends, alpha, seed)``: a fused kernel's or a layered trainer's run.
    Returns the Schedule."""
    from embed.w2v.schedule import Schedule

    plan = Schedule(len(ids), settings, ends)
    for c in range(plan.chunks):
        lo, hi = plan.bounds(c)
        runner(np.ascontiguousarray(ids[lo:hi]), plan.sentence_ends(c), plan.alpha(0, c),
               plan.seed(0, c))
    return plan
