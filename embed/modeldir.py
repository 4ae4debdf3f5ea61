"""The on-disk layout of a trained model directory, shared by the trainer and the readers.

    MODEL_DIR/vectors.npy      float32 [V, dim]  input (word) vectors, row i = vocabulary id i
    MODEL_DIR/output.npy       float32 [V, dim]  output (context / negative-sampling) weights
    MODEL_DIR/vocab.tsv        word<TAB>count, id order, UNK first
    MODEL_DIR/settings.json    training settings (model, dim, window, ..., keep_unk)
    MODEL_DIR/history.tsv      words_processed<TAB>loss: running loss, for the convergence plot
    MODEL_DIR/checkpoint.json  the manifest: every file of the checkpoint with size and crc32

The trainer adds files of its own (its position, optimizer slots); readers ignore what they
don't know. A save is all-or-nothing: every file is first written under a pending name
(``.NAME.ckpt``), then the manifest is replaced atomically (the commit), then the pending files
are renamed into place. A crash before the commit leaves the previous checkpoint; a crash after
it is finished by the next reader (``recover``), which renames the pending files whose checksum
matches the manifest. A directory whose files disagree with the manifest is refused.
"""
from __future__ import annotations

import contextlib
import json
import os
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from embed.atomic import cannot_write, make_dirs, write_text
from embed.data.vocab import Vocabulary
from embed.errors import EmbedError

VECTORS = "vectors.npy"
OUTPUT = "output.npy"
VOCAB = "vocab.tsv"
SETTINGS = "settings.json"
HISTORY = "history.tsv"
MANIFEST = "checkpoint.json"
_PENDING = ".{}.ckpt"


@dataclass
class ModelFiles:
    vectors: np.ndarray
    vocab: Vocabulary
    settings: dict = field(default_factory=dict)
    output: np.ndarray | None = None
    history: np.ndarray | None = None  # [n, 2]: words processed, running loss
    # other files of the same checkpoint: name -> function writing that file at a given path
    extra: dict[str, Callable] = field(default_factory=dict)


def is_model_dir(path: str | os.PathLike) -> bool:
    p = Path(path)
    return p.is_dir() and (p / VECTORS).is_file() and (p / VOCAB).is_file()


def npy_writer(array, dtype=np.float32) -> Callable:
    def write(path):
        with open(path, "wb") as f:   # a file object: np.save would append .npy to a name
            np.save(f, np.ascontiguousarray(array, dtype=dtype))
    return write


def json_writer(obj) -> Callable:
    return lambda path: Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n",
                                              encoding="utf-8")


def _history(history) -> Callable:
    def write(path):
        np.savetxt(path, np.asarray(history, dtype=np.float64).reshape(-1, 2),
                   fmt=["%d", "%.6g"], delimiter="\t", header="words\tloss", comments="")
    return write


def save(path: str | os.PathLike, files: ModelFiles) -> None:
    """Write the model directory as one all-or-nothing checkpoint (see the module notes)."""
    path = Path(path)
    if files.vectors.shape[0] != len(files.vocab):
        raise EmbedError("vectors and vocabulary differ in length")
    writers = {VECTORS: npy_writer(files.vectors), VOCAB: files.vocab.save,
               SETTINGS: json_writer(files.settings)}
    if files.output is not None:
        writers[OUTPUT] = npy_writer(files.output)
    if files.history is not None:
        writers[HISTORY] = _history(files.history)
    writers.update(files.extra)
    commit(path, writers)


def _crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_manifest(path: Path) -> dict | None:
    f = Path(path) / MANIFEST
    if not f.is_file():
        return None
    try:
        manifest = json.loads(f.read_text(encoding="utf-8"))
        files = manifest["files"]
        if not all(isinstance(v.get("size"), int) and isinstance(v.get("crc32"), int)
                   for v in files.values()):
            raise ValueError("bad entry")
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as e:
        raise EmbedError(f"{f}: damaged checkpoint manifest ({e})") from None
    return manifest


def commit(path: Path, writers: dict[str, Callable]) -> None:
    """Write ``writers`` (name -> fn(path) writing that file) into ``path`` as one checkpoint,
    under the directory's writer lock (another process writing there is a one-line error)."""
    from embed.lock import writer_lock

    make_dirs(path)
    with writer_lock(path, what="a model save"):
        _commit(path, writers)


def _commit(path: Path, writers: dict[str, Callable]) -> None:
    recover(path)
    old = read_manifest(path)
    pending = {name: path / _PENDING.format(name) for name in writers}
    entries = {}
    try:
        for name, write in writers.items():
            write(pending[name])
            with open(pending[name], "rb+") as f:
                os.fsync(f.fileno())
            entries[name] = {"size": pending[name].stat().st_size, "crc32": _crc(pending[name])}
        write_text(path / MANIFEST, json.dumps({"version": 1, "files": entries}, indent=2,
                                               sort_keys=True) + "\n")
    except BaseException as e:
        for p in pending.values():
            with contextlib.suppress(OSError):
                p.unlink()
        if isinstance(e, OSError):
            raise cannot_write(path, e) from None
        raise
    # committed: from here on a reader finishes the job if we are interrupted
    try:
        for name, p in pending.items():
            os.replace(p, path / name)
        _fsync_dir(path)
    except OSError as e:
        raise cannot_write(path, e) from None
    for name in set(old["files"] if old else ()) - set(writers):
        with contextlib.suppress(OSError):
            (path / name).unlink()


def recover(path: str | os.PathLike, verify: bool = False) -> None:
    """Finish or discard an interrupted save in ``path``; with ``verify``, also check that every
    file matches the manifest (size and crc32), else raise EmbedError."""
    from embed.lock import try_lock

    path = Path(path)
    manifest = read_manifest(path)
    files = manifest["files"] if manifest else {}
    if any(path.glob(".*.ckpt")):
        with try_lock(path) as alone:
            if alone:   # never touch the pending files of a save in progress elsewhere
                _finish_or_discard(path, files)
    if not verify:
        return
    for name, meta in files.items():
        f = path / name
        if not f.is_file() or f.stat().st_size != meta["size"] or _crc(f) != meta["crc32"]:
            raise EmbedError(f"{path}: {name} does not match its checkpoint ({MANIFEST}); the "
                             "directory mixes files of different saves or was changed by hand "
                             f"(delete {MANIFEST} to accept the files as they are)")


def _finish_or_discard(path: Path, files: dict) -> None:
    leftovers = {p.name: p for p in path.glob(".*.ckpt")}
    try:
        for name, meta in files.items():
            p = leftovers.pop(_PENDING.format(name), None)
            if p is None:
                continue
            if p.stat().st_size == meta["size"] and _crc(p) == meta["crc32"]:
                os.replace(p, path / name)       # committed but not yet in place
            else:
                p.unlink()                       # written for a save that never committed
        for p in leftovers.values():
            p.unlink()
    except OSError as e:
        raise EmbedError(f"{path}: an interrupted save could not be finished ({e.strerror or e})"
                         ) from None


def load(path: str | os.PathLike, mmap: bool = False, history: bool = False,
         verify: bool = False) -> ModelFiles:
    """Read a model directory (finishing an interrupted save first). ``history``: also read
    history.tsv (only the loss plot and the trainer need it); ``verify``: check every file
    against the manifest's checksums (a resume does)."""
    path = Path(path)
    if not path.exists():
        raise EmbedError(f"model not found: {path}")
    if not is_model_dir(path) and not any(path.glob(".*.ckpt")):
        raise EmbedError(f"{path} is not a model directory (needs {VECTORS} and {VOCAB})")
    recover(path, verify=verify)
    if not is_model_dir(path):
        raise EmbedError(f"{path} is not a model directory (needs {VECTORS} and {VOCAB})")
    try:
        vectors = np.load(path / VECTORS, mmap_mode="r" if mmap else None, allow_pickle=False)
        output = (np.load(path / OUTPUT, mmap_mode="r" if mmap else None, allow_pickle=False)
                  if (path / OUTPUT).is_file() else None)
    except (ValueError, OSError, EOFError) as e:
        raise EmbedError(f"{path}: damaged model file ({e})") from None
    vocab = Vocabulary.load(path / VOCAB)
    if vectors.ndim != 2 or vectors.shape[0] != len(vocab):
        raise EmbedError(f"{path}: {VECTORS} has shape {vectors.shape} but the vocabulary has "
                         f"{len(vocab)} words")
    for name, table in ((VECTORS, vectors), (OUTPUT, output)):
        if table is not None and table.dtype != np.float32:
            raise EmbedError(f"{path / name}: float32 expected, found {table.dtype}")
    # NaN/inf rows are refused where they would do harm: by the query loader (naming the word)
    # and by --resume (check_tables), not on every read
    settings = {}
    if (path / SETTINGS).is_file():
        try:
            settings = json.loads((path / SETTINGS).read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise EmbedError(f"{path / SETTINGS}: not valid JSON ({e})") from None
        if not isinstance(settings, dict):
            raise EmbedError(f"{path / SETTINGS}: not a JSON object")
    return ModelFiles(vectors=vectors, vocab=vocab, settings=settings, output=output,
                      history=read_history(path / HISTORY) if history else None)


def check_finite(table: np.ndarray, where) -> None:
    """EmbedError naming the first row of ``table`` that holds NaN or inf."""
    bad = ~np.isfinite(table).all(axis=1) if table.ndim == 2 else ~np.isfinite(table)
    if bad.any():
        raise EmbedError(f"{where}: row {int(np.argmax(bad))} holds NaN or inf "
                         f"({int(bad.sum())} such rows)")


def read_history(path: Path) -> np.ndarray | None:
    """float64 [n, 2] from history.tsv, None if absent; a damaged file is a one-line error."""
    if not path.is_file():
        return None
    try:
        with warnings.catch_warnings():   # a header only (no loss measured yet) is no error
            warnings.simplefilter("ignore", UserWarning)
            rows = np.loadtxt(path, delimiter="\t", skiprows=1, ndmin=2)
    except (ValueError, UnicodeDecodeError) as e:
        raise EmbedError(f"{path}: damaged loss history ({e})") from None
    if rows.size and rows.shape[1] != 2:
        raise EmbedError(f"{path}: damaged loss history (expected 2 columns, found "
                         f"{rows.shape[1]})")
    return rows.reshape(-1, 2)
