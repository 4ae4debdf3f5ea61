"""What the benchmark scripts share: where the corpus is and how to say it is missing."""
from __future__ import annotations

import sys
from pathlib import Path

# Benchmarks time the code as it is: no numba kernel cached from an older helper (see
# embed.devcache). The checkout's root first, for a machine where embed is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from embed.devcache import use_source_keyed_cache  # noqa: E402

use_source_keyed_cache()


def default_corpus() -> Path:
    """text8 in the data directory (`embed download` puts it there)."""
    from embed.paths import data_dir

    return data_dir() / "text8"


def require_corpus(path) -> Path:
    """``path`` if it is a file; otherwise exit with one line saying how to get a corpus."""
    path = Path(path)
    if not path.is_file():
        sys.exit(f"error: corpus not found: {path}; get text8 with `embed download`, or build "
                 "the offline bench corpus with `../shared/bench/make-corpus.sh OUT_FILE` and "
                 "pass --corpus OUT_FILE")
    return path
