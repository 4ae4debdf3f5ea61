"""What the benchmark scripts share: where the corpus is and how to say it is missing."""
from __future__ import annotations

import sys
from pathlib import Path


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
