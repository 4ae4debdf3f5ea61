"""Facebook's .bin format: read what fastText writes, write what it reads, refuse bad files."""
import struct

import numpy as np
import pytest
from fasttext_corpus import train_classifier, train_tiny

from embed.errors import EmbedError
from embed.subwords import fasttext_bin
from embed.subwords.fasttext_bin import (FastTextArgs, FastTextModel, read_fasttext_bin,
                                         write_fasttext_bin, write_vec)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return train_tiny(tmp_path_factory.mktemp("ft"))


def one_line_error(path, match):
    with pytest.raises(EmbedError, match=match) as e:
        read_fasttext_bin(path)
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg
    return msg


def test_reads_what_fasttext_wrote(tiny):
    model, path = tiny
    m = read_fasttext_bin(path)
    words, counts = model.get_words(include_freq=True)
    assert m.words == list(words) and m.counts.tolist() == counts.tolist()
    assert m.ntokens == int(counts.sum())  # minCount 1: every token is a word
    a = model.f.getArgs()
    assert (m.args.dim, m.args.ws, m.args.epoch, m.args.min_count, m.args.neg,
            m.args.bucket, m.args.minn, m.args.maxn, m.args.t) == (
        a.dim, a.ws, a.epoch, a.minCount, a.neg, a.bucket, a.minn, a.maxn, pytest.approx(a.t))
    assert fasttext_bin.MODEL_NAMES[m.args.model] == "sg"
    assert fasttext_bin.LOSS_NAMES[m.args.loss] == "ns"
    assert m.version == 12 and m.labels == []
    assert isinstance(m.input, np.memmap) and isinstance(m.output, np.memmap)
    assert m.input.shape == (len(words) + 2000, 10) and m.output.shape == (len(words), 10)
    np.testing.assert_array_equal(m.input, model.get_input_matrix())
    np.testing.assert_array_equal(m.output, model.get_output_matrix())
    eager = read_fasttext_bin(path, mmap=False)
    assert not isinstance(eager.input, np.memmap)
    np.testing.assert_array_equal(eager.input, m.input)


def test_rewriting_gives_fasttexts_bytes(tiny, tmp_path):
    _, path = tiny
    out = tmp_path / "again.bin"
    write_fasttext_bin(out, read_fasttext_bin(path))
    assert out.read_bytes() == path.read_bytes()


def test_classifier_labels_and_bytes(tmp_path):
    model, path, _ = train_classifier(tmp_path)
    m = read_fasttext_bin(path)
    labels, label_counts = model.get_labels(include_freq=True)
    assert m.labels == list(labels) and m.label_counts.tolist() == label_counts.tolist()
    assert m.words == list(model.get_words())
    assert m.output.shape == (len(labels), 10)
    assert fasttext_bin.MODEL_NAMES[m.args.model] == "sup"
    out = tmp_path / "again.bin"
    write_fasttext_bin(out, m)
    assert out.read_bytes() == path.read_bytes()


def test_truncated_files_are_one_line(tiny, tmp_path):
    _, path = tiny
    data = path.read_bytes()
    model = read_fasttext_bin(path)
    dict_end = len(data) - 2 * (1 + 16) - 4 * (model.input.size + model.output.size)
    # inside: magic, args, dictionary header, a word, the last count, the quant flag, the
    # input matrix's header and data, the output matrix, the very last byte
    for cut in (3, 30, 70, 90, 100, dict_end - 3, dict_end, dict_end + 5, dict_end + 40,
                len(data) - 500, len(data) - 1):
        bad = tmp_path / f"cut{cut}.bin"
        bad.write_bytes(data[:cut])
        one_line_error(bad, "truncated or damaged fastText model")


def test_foreign_files_are_one_line(tmp_path):
    text = tmp_path / "vectors.vec"
    text.write_text("2 3\na 0.1 0.2 0.3\nb 0.4 0.5 0.6\n")
    assert "magic number" in one_line_error(text, "not a fastText .bin model")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(np.random.default_rng(0).bytes(4096))
    one_line_error(garbage, "not a fastText .bin model")
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    one_line_error(empty, "empty file")
    one_line_error(tmp_path / "missing.bin", "cannot read")
    one_line_error(tmp_path, "cannot read")  # a directory


def test_quantised_model_is_refused(tmp_path):
    # word bigrams keep the 2,000 buckets: quantisation needs 256 rows or more
    model, _, corpus = train_classifier(tmp_path, wordNgrams=2)
    model.quantize(input=str(corpus), retrain=False)
    ftz = tmp_path / "clf.ftz"
    model.save_model(str(ftz))
    one_line_error(ftz, r"quantised fastText model \(.ftz\): not supported")


def _patched(path, tmp_path, offset, fmt, value, name="patched.bin"):
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    out = tmp_path / name
    out.write_bytes(bytes(data))
    return out


def test_header_that_disagrees_with_the_file_is_refused(tiny, tmp_path):
    _, path = tiny
    # args block: dim is at byte 8, bucket at 8 + 4 * 8
    one_line_error(_patched(path, tmp_path, 8 + 32, "<i", 1999, "bucket.bin"),
                   "header says .* 1,999 buckets")
    one_line_error(_patched(path, tmp_path, 8, "<i", 11, "dim.bin"), "dim 11")
    one_line_error(_patched(path, tmp_path, 4, "<i", 13, "version.bin"), "version 13")
    longer = tmp_path / "longer.bin"
    longer.write_bytes(path.read_bytes() + b"\0" * 8)
    one_line_error(longer, "the file has .* bytes")
    # a pruned dictionary (pruneidx_size >= 0) without quantisation: fastText refuses it too
    one_line_error(_patched(path, tmp_path, 8 + 56 + 12 + 8, "<q", 0, "pruned.bin"),
                   "pruned dictionary")


def _small_model(words=("a", "b", "c"), bucket=5, dim=3):
    rng = np.random.default_rng(0)
    return FastTextModel(args=FastTextArgs(dim=dim, bucket=bucket, epoch=1, min_count=1),
                         words=list(words), counts=np.arange(len(words), 0, -1),
                         input=rng.random((len(words) + bucket, dim), dtype=np.float32))


def test_writer_fills_in_a_zero_output_matrix_and_reads_back(tmp_path):
    m = _small_model()
    out = tmp_path / "small.bin"
    write_fasttext_bin(out, m)
    blocks = tmp_path / "blocks.bin"  # word rows and n-gram rows given apart: the same file
    write_fasttext_bin(blocks, FastTextModel(m.args, m.words, m.counts,
                                             (m.input[:3], m.input[3:])))
    assert blocks.read_bytes() == out.read_bytes()
    back = read_fasttext_bin(out)
    assert back.words == m.words and back.counts.tolist() == [3, 2, 1] and back.ntokens == 6
    np.testing.assert_array_equal(back.input, m.input)
    np.testing.assert_array_equal(back.output, np.zeros((3, 3), np.float32))
    assert back.args == m.args


@pytest.mark.parametrize("words,match", [
    (("a", "a", "c"), "duplicates"),
    (("a", "b\0", "c"), "NUL"),
    (("a", "", "c"), "empty"),
])
def test_writer_refuses_words_fasttext_would_misread(tmp_path, words, match):
    with pytest.raises(EmbedError, match=match):
        write_fasttext_bin(tmp_path / "x.bin", _small_model(words))
    assert not list(tmp_path.iterdir())


def test_writer_refuses_wrong_shapes(tmp_path):
    m = _small_model()
    m.input = m.input[:-1]
    with pytest.raises(EmbedError, match="input matrix"):
        write_fasttext_bin(tmp_path / "x.bin", m)
    m = _small_model()
    m.input = (m.input[:3], m.input[3:, :2])  # blocks of another dim
    with pytest.raises(EmbedError, match="input matrix"):
        write_fasttext_bin(tmp_path / "x.bin", m)
    m = _small_model()
    m.output = np.zeros((3, 4), np.float32)
    with pytest.raises(EmbedError, match="output matrix"):
        write_fasttext_bin(tmp_path / "x.bin", m)
    assert not list(tmp_path.iterdir())


def test_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "model.bin"
    write_fasttext_bin(out, _small_model())
    before = out.read_bytes()

    def interrupted(f, m, rows, dim):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(fasttext_bin, "_write_matrix", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_fasttext_bin(out, _small_model(("x", "y", "z")))
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_vec_reads_back_in_gensim(tmp_path):
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(1)
    words = ["café", "москва", "東京", "a"]
    vectors = rng.standard_normal((4, 5)).astype(np.float32)
    write_vec(tmp_path / "v.vec", words, vectors)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.vec"))
    assert kv.index_to_key == words
    np.testing.assert_array_equal(kv.vectors, vectors)
    with pytest.raises(EmbedError, match="whitespace"):
        write_vec(tmp_path / "w.vec", ["a b"], vectors[:1])

