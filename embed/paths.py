"""Where downloaded and derived data lives: `--data-dir`, else `$EMBED_DATA_DIR`, else `./data`."""
from __future__ import annotations

import os
from pathlib import Path


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("EMBED_DATA_DIR")
    return Path(env) if env else Path("data")
