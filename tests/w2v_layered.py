"""The layered embed.nn step the fused-kernel tests compare with: Embedding -> (mean of the
context rows for CBOW) -> an output loss -> SGD on sparse rows."""
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
