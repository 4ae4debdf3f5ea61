"""The search's record on disk: ``DIR/search.json`` (what is searched) and ``DIR/trials.jsonl``.

``trials.jsonl`` is append-only: one JSON object per finished or failed trial, written, flushed
and fsynced the moment the trial reports, so a crash or Ctrl-C loses at most the trials still
running. A record holds ``trial`` (number, in order of submission), ``status`` ("ok" or
"failed"), ``score`` (null when failed), ``settings`` (everything the trial trained with),
``seconds`` (time the trial took on its worker), ``error`` (one line, or null), ``metrics``
(the objective's parts, e.g. spearman and accuracy) and ``worker``.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

from embed.atomic import cannot_write, write_text
from embed.errors import EmbedError

TRIALS = "trials.jsonl"
SEARCH = "search.json"
PLOT = "scores.png"


class TrialLog:
    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)
        self.path = self.dir / TRIALS

    def read(self) -> list[dict]:
        """All complete records. A last line cut short by a crash is dropped from the file."""
        if not self.path.is_file():
            return []
        data = self.path.read_bytes()
        records, good_end = [], 0
        pos = 0
        for lineno, line in enumerate(data.split(b"\n"), 1):
            end = pos + len(line) + 1
            complete = end <= len(data)  # the line had its newline
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    if complete:
                        raise EmbedError(f"{self.path}:{lineno}: not a JSON trial record") from None
                    break  # a write cut short: the trial never finished, it will run again
                if not isinstance(rec, dict) or "settings" not in rec or "status" not in rec:
                    raise EmbedError(f"{self.path}:{lineno}: not a trial record")
                records.append(rec)
                if not complete:  # whole record, only its newline missing
                    try:
                        with open(self.path, "ab") as f:
                            f.write(b"\n")
                            os.fsync(f.fileno())
                    except OSError as e:
                        raise cannot_write(self.path, e) from None
                    return records
            if complete:
                good_end = end
            pos = end
        if good_end < len(data):
            try:
                with open(self.path, "r+b") as f:
                    f.truncate(good_end)
                    os.fsync(f.fileno())
            except OSError as e:
                raise cannot_write(self.path, e) from None
        return records

    def append(self, record: dict) -> None:
        """Add one record, on disk before this returns. A write the OS refuses (disk full, read
        only) is one EmbedError line; the records before it stay readable (a line it cut short
        is dropped by the next :meth:`read`)."""
        line = json.dumps(_jsonable(record), sort_keys=True) + "\n"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise EmbedError(f"{cannot_write(self.path, e)}; the trials recorded before this "
                             f"one are kept: make room and resume the search") from None


def write_search_info(directory: str | os.PathLike, info: dict) -> None:
    write_text(Path(directory) / SEARCH, json.dumps(_jsonable(info), indent=2, sort_keys=True) + "\n")


def read_search_info(directory: str | os.PathLike) -> dict | None:
    path = Path(directory) / SEARCH
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise EmbedError(f"{path}: not valid JSON ({e})") from None


def best_records(records: list[dict], n: int = 5) -> list[dict]:
    ok = [r for r in records if r.get("status") == "ok" and r.get("score") is not None]
    return sorted(ok, key=lambda r: (-r["score"], r["trial"]))[:n]


def _jsonable(x):
    """numpy scalars -> Python numbers, non-finite floats -> null (JSON has no NaN)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item) and getattr(x, "ndim", 1) == 0:
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
