"""Load and save vectors in any supported format: one reader and one writer to dispatch.

Formats (the names the CLI's ``--format`` takes):

    word2vec         word2vec text (GloVe's headerless text too)      .txt .vec
    word2vec-binary  word2vec.c's binary                              .bin
    gensim           gensim's native KeyedVectors / model pickle      .kv .model
    npy              X.npy + X.vocab.tsv                              .npy

Reading with ``format=None`` ("auto") tells the kinds apart by content, except that a pickle is
unpickled only when the caller declared it: ``format="gensim"`` or a ``.kv`` / ``.model`` name.
Any other file that starts like a pickle is refused, since unpickling runs code.
"""
from __future__ import annotations

from pathlib import Path

from embed import modeldir
from embed.errors import EmbedError
from embed.vectors import gensim_format, npy_format, word2vec_format
from embed.vectors.keyed import KeyedVectors

FORMATS = ("word2vec", "word2vec-binary", "gensim", "npy")
SUFFIX_FORMAT = {".txt": "word2vec", ".vec": "word2vec", ".bin": "word2vec-binary",
                 ".kv": "gensim", ".model": "gensim", ".npy": "npy"}
_PICKLE_SUFFIXES = (".kv", ".model")


def _check_format(format: str | None, allowed) -> str | None:
    if format in (None, "auto"):
        return None
    if format not in allowed:
        raise EmbedError(f"unknown vectors format {format!r}; choose from {', '.join(allowed)}")
    return format


def load_vectors(path, limit: int | None = None, format: str | None = None) -> KeyedVectors:
    """Read vectors from a model directory or a vectors file; `limit` keeps only the first
    `limit` words.

    - a model directory (`embed.modeldir`): UNK dropped unless ``settings["keep_unk"]``;
    - ``format=None`` or ``"auto"``: word2vec text or binary (told apart by their content; a
      text file may lack the ``n dim`` header, as GloVe's do), ``.npy`` (by its magic bytes),
      and a gensim pickle only when the name ends in ``.kv`` or ``.model``;
    - ``format`` one of `FORMATS`: read as that format (``"gensim"`` unpickles, with a
      `PickleWarning`: only for files you trust).
    """
    format = _check_format(format, FORMATS)
    if limit is not None and limit < 1:
        raise EmbedError(f"--limit must be at least 1, got {limit}")
    path = Path(path)
    if not path.exists():
        raise EmbedError(f"vectors not found: {path}")
    if path.is_dir() or (format is None and path.name == modeldir.VECTORS
                         and modeldir.is_model_dir(path.parent)):
        if format is not None:
            raise EmbedError(f"{path} is a model directory; --format is for vectors files")
        return head(KeyedVectors.from_model_dir(path if path.is_dir() else path.parent), limit)
    kind = format or _sniff(path)
    if kind == "gensim":
        kv = gensim_format.load_gensim(path)
    elif kind == "npy":
        kv = npy_format.load_npy(path)
    else:  # declared text or binary, or either (told apart by the content)
        binary = None if format is None else format == "word2vec-binary"
        return word2vec_format.read_word2vec(path, limit=limit, binary=binary)
    return head(kv, limit)


def _sniff(path: Path) -> str:
    """The format of a file from its first bytes (and, for pickles, its declared name)."""
    try:
        with open(path, "rb") as f:
            first = f.read(6)
    except OSError as e:
        raise EmbedError(f"cannot read {path}: {e.strerror or e}") from None
    if first == b"\x93NUMPY":
        return "npy"
    if path.suffix.lower() in _PICKLE_SUFFIXES:
        return "gensim"
    if first[:1] == b"\x80":  # pickle protocol >= 2
        raise EmbedError(f"{path} looks like a Python pickle (a gensim save?); pickles can run "
                         "code, so embed unpickles only a file named .kv/.model or read with "
                         "--format gensim")
    return "word2vec"  # text or binary: read_word2vec tells them apart


def head(kv: KeyedVectors, limit: int | None) -> KeyedVectors:
    """The first `limit` words of `kv` (`kv` itself when it has no more)."""
    if limit is None or limit >= len(kv):
        return kv
    return KeyedVectors(kv.words[:limit], kv.vectors[:limit],
                        None if kv.counts is None else kv.counts[:limit], normalize=kv.normalize)


def format_for(path, format: str | None = None) -> str:
    """The format to write `path` in: `format` when given, else the one its suffix names."""
    path = Path(path)
    format = _check_format(format, FORMATS) or SUFFIX_FORMAT.get(path.suffix.lower())
    if format is None:
        raise EmbedError(f"cannot tell the format from {path.name!r}; "
                         f"use --format {'|'.join(FORMATS)}")
    if format == "npy" and path.suffix != ".npy":
        raise EmbedError(f"npy output must end in .npy, not {path.name!r}")
    return format


def save_vectors(kv: KeyedVectors, path, format: str | None = None,
                 limit: int | None = None) -> str:
    """Write the first `limit` words of `kv` to `path` in `format` (default: from the suffix,
    see `SUFFIX_FORMAT`), atomically. Returns the format written."""
    format = format_for(path, format)
    if limit is not None and limit < 1:
        raise EmbedError(f"--limit must be at least 1, got {limit}")
    if format.startswith("word2vec"):
        word2vec_format.write_word2vec(kv, path, binary=format == "word2vec-binary",
                                       limit=limit)
    elif format == "gensim":
        gensim_format.save_gensim(head(kv, limit), path)
    else:
        npy_format.save_npy(head(kv, limit), path)
    return format
