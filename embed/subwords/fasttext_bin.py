"""Facebook fastText's ``.bin`` model file (the one ``fasttext.load_model`` and gensim's
``load_facebook_model`` / ``load_facebook_vectors`` read), and ``.vec`` text export.

Layout, all little-endian, as fastText's ``saveModel`` writes it (``fasttext.cc``,
``args.cc``, ``dictionary.cc``, ``densematrix.cc``):

====================  ==========================================================================
magic, version        int32 793712314, int32 12 (fastText reads any version <= 12)
args                  12 x int32: dim ws epoch minCount neg wordNgrams loss model bucket minn
                      maxn lrUpdateRate, then float64 t (sampling threshold) -- 56 bytes
dictionary            int32 size, int32 nwords, int32 nlabels, int64 ntokens,
                      int64 pruneidx_size (-1: not pruned); then `size` entries: the word's
                      bytes, a NUL, int64 count, int8 type (0 word, 1 label), words first;
                      then pruneidx_size pairs of int32
quant_input           1 byte bool: 1 for a quantised (``.ftz``) model, not supported here
input matrix          int64 rows (nwords + bucket), int64 cols (dim), rows x cols float32:
                      word rows, then the n-gram bucket rows
qout                  1 byte bool
output matrix         int64 rows, int64 cols, rows x cols float32 (nwords rows for the
                      unsupervised models, nlabels for a classifier)
====================  ==========================================================================

Reading maps the two matrices (``np.memmap``) instead of reading them: a published model's
input matrix is gigabytes and a query touches a few of its rows. Writing goes through
`embed.atomic`: a crash leaves no half-written model under the final name.
"""
from __future__ import annotations

import dataclasses
import struct
from pathlib import Path
from typing import Sequence

import numpy as np
from numba import njit

from embed.atomic import atomic_path
from embed.errors import EmbedError

MAGIC = 793712314
VERSION = 12
LOSS_NAMES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
MODEL_NAMES = {1: "cbow", 2: "sg", 3: "sup"}
_ARGS = struct.Struct("<12id")
_DICT_HEAD = struct.Struct("<3i2q")
_MATRIX_HEAD = struct.Struct("<2q")
_WRITE_ROWS = 1 << 16  # rows per write: bounded memory when the matrix is a memory map


@dataclasses.dataclass
class FastTextArgs:
    """fastText's ``Args`` block, with fastText's defaults (``loss`` 2 = ns, ``model`` 2 = sg)."""
    dim: int = 100
    ws: int = 5
    epoch: int = 5
    min_count: int = 5
    neg: int = 5
    word_ngrams: int = 1
    loss: int = 2
    model: int = 2
    bucket: int = 2_000_000
    minn: int = 3
    maxn: int = 6
    lr_update_rate: int = 100
    t: float = 1e-4


@dataclasses.dataclass
class FastTextModel:
    """The contents of a ``.bin``.

    input: float32 [nwords + bucket, dim], word rows then bucket rows (a read-only memory map
    when read from a file); to write, also a tuple of row blocks that stack to that shape
    (word rows, n-gram rows), written one after the other. output: float32 [rows, dim] or
    None (written as zeros [nwords, dim]: fastText needs the matrix to load the file, queries
    do not use it).
    """
    args: FastTextArgs
    words: list[str]
    counts: np.ndarray
    input: np.ndarray | tuple[np.ndarray, ...]
    output: np.ndarray | None = None
    ntokens: int | None = None
    labels: list[str] = dataclasses.field(default_factory=list)
    label_counts: np.ndarray | None = None
    version: int = VERSION

    @property
    def nwords(self) -> int:
        return len(self.words)


# ---------------------------------------------------------------------------- reading

@njit(cache=True, nogil=True)
def _scan_entries(data, pos, n):
    """Parse `n` dictionary entries of `data` (uint8 [file size]) from `pos`.

    Returns (starts int64 [n], ends int64 [n], counts int64 [n], types int8 [n], end pos), or
    end pos -1 when the file ends inside an entry, -2 when an entry type is neither 0 nor 1.
    """
    size = data.shape[0]
    starts = np.empty(n, np.int64)
    ends = np.empty(n, np.int64)
    counts = np.empty(n, np.int64)
    types = np.empty(n, np.int8)
    for i in range(n):
        starts[i] = pos
        while pos < size and data[pos] != 0:
            pos += 1
        if pos + 10 > size:  # NUL, int64 count, int8 type
            return starts, ends, counts, types, -1
        ends[i] = pos
        c = np.int64(0)
        for k in range(8):
            c |= np.int64(data[pos + 1 + k]) << np.int64(8 * k)
        counts[i] = c
        t = data[pos + 9]
        if t > 1:
            return starts, ends, counts, types, -2
        types[i] = t
        pos += 10
    return starts, ends, counts, types, pos


class _Reader:
    """Bounds-checked reads from the mapped file; every refusal names the file in one line."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.size = path.stat().st_size
            # a plain ndarray view of the map (numba takes no np.memmap subclass)
            self.data = (np.asarray(np.memmap(path, np.uint8, mode="r")) if self.size
                         else np.zeros(0, np.uint8))
        except OSError as e:
            raise EmbedError(f"cannot read {path}: {e.strerror or e}") from None
        except ValueError as e:  # not a regular file that can be mapped
            raise EmbedError(f"cannot read {path}: {e}") from None

    def fail(self, why: str) -> EmbedError:
        return EmbedError(f"{self.path}: {why}")

    def truncated(self, need: int | None, what: str) -> EmbedError:
        need = f"needs {need:,} bytes" if need else "runs past the end"
        return self.fail(f"truncated or damaged fastText model: {what} {need}, the file has "
                         f"{self.size:,} bytes")

    def unpack(self, st: struct.Struct, pos: int, what: str) -> tuple:
        if pos + st.size > self.size:
            raise self.truncated(pos + st.size, what)
        return st.unpack(self.data[pos:pos + st.size].tobytes())

    def matrix(self, pos: int, what: str, mmap: bool) -> tuple[np.ndarray, int]:
        rows, cols = self.unpack(_MATRIX_HEAD, pos, f"the {what} header")
        pos += _MATRIX_HEAD.size
        if rows < 0 or cols <= 0:
            raise self.fail(f"{what} has shape {rows} x {cols}: not a fastText model")
        end = pos + rows * cols * 4
        if end > self.size:
            raise self.truncated(end, f"the {rows:,} x {cols} {what}")
        if rows == 0:
            return np.zeros((0, cols), np.float32), end
        if mmap:
            m = np.memmap(self.path, np.dtype("<f4"), mode="r", offset=pos, shape=(rows, cols))
        else:
            m = np.frombuffer(self.data[pos:end].tobytes(), "<f4").reshape(rows, cols)
        return m, end


def read_fasttext_bin(path, mmap: bool = True) -> FastTextModel:
    """Read a fastText ``.bin``; the matrices are read-only memory maps unless `mmap` is False.

    Refuses, in one `EmbedError` line naming the file: a missing, empty, foreign (wrong magic)
    or newer-version file, a quantised ``.ftz`` model, a truncated file, and a header whose
    sizes disagree with the file size or with each other.
    """
    r = _Reader(Path(path))
    if r.size == 0:
        raise r.fail("empty file, not a fastText model")
    if r.size < 8:
        raise r.truncated(8, "the header")
    magic, version = struct.unpack("<2i", r.data[:8].tobytes())
    if magic != MAGIC:
        raise r.fail(f"not a fastText .bin model (magic number {magic}, expected {MAGIC})")
    if version > VERSION:
        raise r.fail(f"fastText file format version {version} is newer than {VERSION}, the "
                     "newest this reader knows")
    args = FastTextArgs(*r.unpack(_ARGS, 8, "the args block"))
    if version == 11 and args.model == 3:
        args.maxn = 0  # as fastText: version-11 classifiers had no character n-grams
    pos = 8 + _ARGS.size
    size, nwords, nlabels, ntokens, prune = r.unpack(_DICT_HEAD, pos, "the dictionary header")
    pos += _DICT_HEAD.size
    if size < 0 or nwords < 0 or nlabels < 0 or nwords + nlabels != size or args.dim <= 0 \
            or args.bucket < 0:
        raise r.fail(f"damaged fastText header (dim {args.dim}, bucket {args.bucket}, "
                     f"{size} entries = {nwords} words + {nlabels} labels?)")
    starts, ends, counts, types, end = _scan_entries(r.data, pos, size)
    if end == -1:
        raise r.truncated(None, f"the dictionary of {size:,} entries")
    if end == -2 or np.any(types[:nwords] != 0) or np.any(types[nwords:] != 1):
        raise r.fail("damaged fastText dictionary (entry types are not words then labels)")
    pos = end + (8 * prune if prune > 0 else 0)
    if pos + 1 > r.size:
        raise r.truncated(pos + 1, "the quantisation flag after the dictionary")
    if r.data[pos]:
        raise r.fail("quantised fastText model (.ftz): not supported; use the .bin it was "
                     "quantised from")
    if prune >= 0:
        raise r.fail("pruned dictionary in a model that is not quantised: fastText itself "
                     "refuses this file")
    raw = r.data[:end].tobytes() if size else b""
    entries = [raw[s:e].decode("utf-8", "surrogateescape") for s, e in zip(starts.tolist(),
                                                                           ends.tolist())]
    inp, pos = r.matrix(pos + 1, "input matrix", mmap)
    if inp.shape != (nwords + args.bucket, args.dim):
        raise r.fail(f"input matrix is {inp.shape[0]:,} x {inp.shape[1]}, but the header says "
                     f"{nwords:,} words + {args.bucket:,} buckets, dim {args.dim}")
    if pos + 1 > r.size:
        raise r.truncated(pos + 1, "the output matrix's quantisation flag")
    out, pos = r.matrix(pos + 1, "output matrix", mmap)
    if out.shape[1] != args.dim:
        raise r.fail(f"output matrix has {out.shape[1]} columns, the header says dim {args.dim}")
    if pos != r.size:
        raise r.fail(f"the header's sizes end the model at byte {pos:,}, but the file has "
                     f"{r.size:,} bytes: not a fastText model, or a damaged one")
    return FastTextModel(args=args, words=entries[:nwords], counts=counts[:nwords].copy(),
                         input=inp, output=out, ntokens=int(ntokens), labels=entries[nwords:],
                         label_counts=counts[nwords:].copy(), version=int(version))


# ---------------------------------------------------------------------------- writing

def _entries(words: Sequence[str], counts: np.ndarray, kind: int) -> bytes:
    tail = [struct.pack("<qb", int(c), kind) for c in counts.tolist()]
    parts = []
    for w, t in zip(words, tail):
        b = w.encode("utf-8", "surrogateescape")
        if not b or b"\0" in b:
            raise EmbedError(f"word {w!r} cannot be written to a fastText .bin "
                             "(empty or containing a NUL byte)")
        parts.append(b + b"\0" + t)
    return b"".join(parts)


def _write_matrix(f, blocks: Sequence[np.ndarray] | None, rows: int, dim: int) -> None:
    """The header, then the row blocks (None: `rows` zero rows), a bounded slice at a time."""
    f.write(_MATRIX_HEAD.pack(rows, dim))
    for m in blocks if blocks is not None else [None]:
        n_rows = rows if m is None else m.shape[0]
        for s in range(0, n_rows, _WRITE_ROWS):
            n = min(_WRITE_ROWS, n_rows - s)
            block = np.zeros((n, dim), "<f4") if m is None else m[s:s + n]
            f.write(np.ascontiguousarray(block, dtype="<f4").tobytes())


def _input_blocks(model: "FastTextModel") -> list[np.ndarray]:
    blocks = list(model.input) if isinstance(model.input, (tuple, list)) else [model.input]
    a = model.args
    rows = sum(b.shape[0] for b in blocks)
    if any(b.ndim != 2 or b.shape[1] != a.dim for b in blocks) or \
            rows != model.nwords + a.bucket:
        raise EmbedError(f"input matrix is {[b.shape for b in blocks]}, expected "
                         f"({model.nwords} words + {a.bucket} buckets, dim {a.dim})")
    return blocks


def write_fasttext_bin(path, model: FastTextModel) -> None:
    """Write `model` as fastText's ``saveModel`` does (version 12, not quantised, not pruned).
    Refuses shapes that fastText would misread: input rows != nwords + bucket, a dim that
    differs between the header and the matrices, duplicate, empty or NUL-containing words."""
    a = model.args
    nwords, labels = len(model.words), list(model.labels)
    counts = np.asarray(model.counts, np.int64)
    label_counts = (np.zeros(len(labels), np.int64) if model.label_counts is None
                    else np.asarray(model.label_counts, np.int64))
    if len(counts) != nwords or len(label_counts) != len(labels):
        raise EmbedError(f"{nwords} words but {len(counts)} counts")
    if len(set(model.words)) != nwords:
        raise EmbedError("the word list has duplicates: fastText would find only one of each")
    blocks = _input_blocks(model)
    if model.output is not None and (model.output.ndim != 2 or model.output.shape[1] != a.dim):
        raise EmbedError(f"output matrix is {model.output.shape}, expected dim {a.dim}")
    out_rows = nwords if model.output is None else model.output.shape[0]
    ntokens = int(counts.sum()) if model.ntokens is None else int(model.ntokens)
    head = (struct.pack("<2i", MAGIC, VERSION) + _ARGS.pack(*dataclasses.astuple(a))
            + _DICT_HEAD.pack(nwords + len(labels), nwords, len(labels), ntokens, -1)
            + _entries(model.words, counts, 0) + _entries(labels, label_counts, 1))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(head)
        f.write(b"\0")  # quant_input: false
        _write_matrix(f, blocks, nwords + a.bucket, a.dim)
        f.write(b"\0")  # qout: false
        _write_matrix(f, None if model.output is None else [model.output], out_rows, a.dim)


def write_vec(path, words: Sequence[str], vectors: np.ndarray) -> None:
    """word2vec text (fastText's ``.vec``): a ``"n dim"`` line, then ``word v1 ... vdim`` per
    word with the shortest text that reads back as the same float32 (gensim's
    ``load_word2vec_format`` and fastText's ``-pretrainedVectors`` read it)."""
    vectors = np.asarray(vectors, np.float32)
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise EmbedError(f"{len(words)} words but vectors of shape {vectors.shape}")
    for w in words:
        if not w or any(c.isspace() for c in w):
            raise EmbedError(f"word {w!r} cannot be written to a .vec file "
                             "(empty or containing whitespace)")
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for s in range(0, len(words), 4096):
            text = vectors[s:s + 4096].astype(str).tolist()
            f.write("".join(w + " " + " ".join(r) + "\n" for w, r in
                            zip(words[s:s + 4096], text)).encode("utf-8", "surrogateescape"))
