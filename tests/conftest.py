import os

from embed.devcache import use_source_keyed_cache

# numba must not reuse kernels compiled from an older version of a helper they inline
use_source_keyed_cache()

# Keep tests off any data the user downloaded and away from plotting back-ends with a screen.
os.environ.setdefault("MPLBACKEND", "Agg")
