"""The fused path: numba kernels that do forward, backward and the SGD update in one pass.

Each kernel module offers ``make_runner(model, keep, table, settings, max_chunk, loss_every,
threads=1)`` returning one thread's run(ids, ends, alpha, seed) over the model's tables
(``threads``: how many run at once). A model family (a new output layer, subword inputs) is a
new kernel module and an entry in ``KERNELS``, not a branch in train(). A module may also offer
``prepare(model, settings)``, run once per training run before any thread starts: what it
returns is passed to every ``make_runner`` after ``loss_every`` (the subword kernels train a
compact working copy of the n-gram rows they use, which ``model.sync_tables()`` writes back
before every checkpoint).
"""
from __future__ import annotations

import importlib

from embed.w2v.settings import TrainSettings

# The fused kernels measure the loss on every LOSS_EVERY-th centre word (group for CBOW): the
# log/exp per score would otherwise cost about a third of skip-gram's time.
LOSS_EVERY = 8

# (model, kernel) -> the module holding its kernel and make_runner; the batched kernels train
# either output layer or both (negative sampling, hierarchical softmax: see kernels_hs)
KERNELS = {
    ("skipgram", "batched"): "embed.w2v.kernels_sg",
    ("cbow", "batched"): "embed.w2v.kernels_cbow",
    ("skipgram", "classic"): "embed.w2v.kernels_classic",
    ("cbow", "classic"): "embed.w2v.kernels_classic",
    ("skipgram", "subword"): "embed.w2v.kernels_subword_sg",
    ("cbow", "subword"): "embed.w2v.kernels_subword_cbow",
}


def kernel_module(settings: TrainSettings):
    # a subword model (words + character n-grams, fastText's) has its own kernels
    kernel = "subword" if settings.subwords else settings.kernel
    return importlib.import_module(KERNELS[(settings.model, kernel)])


def worker_factory(model, keep, table, settings: TrainSettings, max_chunk: int,
                   threads: int = 1):
    """make_worker() for the Hogwild runner: each call builds one thread's kernel runner (its
    own scratch) over the model's shared tables; ``threads`` is how many will run at once."""
    module = kernel_module(settings)
    prepare = getattr(module, "prepare", None)
    shared = () if prepare is None else (prepare(model, settings),)

    def make_worker():
        return module.make_runner(model, keep, table, settings, max_chunk, LOSS_EVERY, *shared,
                                  threads=threads)

    return make_worker
