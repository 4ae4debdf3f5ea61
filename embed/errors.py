"""The one exception type a user can cause.

The CLI turns an `EmbedError` into a single line on stderr and exit status 1; anything else is a
bug and keeps its traceback.
"""


class EmbedError(Exception):
    """A problem with the user's input, files, settings or network, explained in one line."""
