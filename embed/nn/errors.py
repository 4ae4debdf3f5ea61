"""The error the network core raises for a bad argument or state.

`embed.nn` is a library of its own: it does not know the application's `EmbedError`. Callers
that face users (the word2vec trainer, the CLI) turn an `NNError` into their own one-line error.
"""


class NNError(ValueError):
    """A bad name, shape or value given to the network core."""
