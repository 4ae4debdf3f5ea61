import bz2
import gzip
import io
import sys

import pytest

from embed.data.corpus import iter_tokens, normalize, token_chunks
from embed.errors import EmbedError

TEXT8 = ("anarchism originated as a term of abuse first used against early working class "
         "radicals including the diggers of the english revolution")


def test_text8_passes_through_unchanged(tmp_path):
    f = tmp_path / "text8"
    f.write_text(" " + TEXT8)  # text8 starts with a space and has no newline
    assert list(iter_tokens(f)) == TEXT8.split()


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 16, 1 << 20])
def test_chunk_boundaries_never_split_a_word(tmp_path, chunk):
    f = tmp_path / "c.txt"
    f.write_text(TEXT8)
    chunks = list(token_chunks(f, chunk_bytes=chunk))
    assert [w for c in chunks for w in c] == TEXT8.split()
    if chunk < 8:
        assert len(chunks) > 3  # really streamed in pieces, not read whole


def test_one_long_line_is_read_in_pieces(tmp_path):
    words = [f"w{'abcdefghij'[i % 10]}x{'klmnopqrst'[i // 10 % 10]}" for i in range(20_000)]
    f = tmp_path / "long"
    f.write_text(" ".join(words))  # ~100 KB on a single line
    chunks = list(token_chunks(f, chunk_bytes=4096))
    assert len(chunks) >= 20 and max(len(c) for c in chunks) < 1000
    assert [w for c in chunks for w in c] == words


def test_raw_text_under_each_rule(tmp_path):
    f = tmp_path / "raw.txt"
    f.write_text("Hello, World!\nIt's 2024 -- naïve\tCAFÉ_au-lait.\r\nend", encoding="utf-8")
    assert list(iter_tokens(f, tokens="text8")) == ["hello", "world", "it", "s", "na", "ve",
                                                    "caf", "au", "lait", "end"]
    assert list(iter_tokens(f)) == ["hello", "world", "it's", "2024", "naïve", "café", "au",
                                    "lait", "end"]
    assert list(iter_tokens(f, tokens="split")) == ["Hello,", "World!", "It's", "2024", "--",
                                                    "naïve", "CAFÉ_au-lait.", "end"]
    assert normalize("Don't STOP!") == "don t stop"
    assert normalize("Don't STOP!", tokens="words") == "don't stop"


def test_utf8_character_cut_by_chunk_boundary_is_not_binary(tmp_path):
    f = tmp_path / "u.txt"
    f.write_text("ab\u00e9cd " * 10, encoding="utf-8")
    assert list(iter_tokens(f, chunk_bytes=3, tokens="text8"))[:2] == ["ab", "cd"]
    assert list(iter_tokens(f, chunk_bytes=3)) == ["ab\u00e9cd"] * 10


def test_gzip_bz2_and_directory(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    with gzip.open(tmp_path / "d" / "a.gz", "wb") as f:
        f.write(b"one two")
    with bz2.open(tmp_path / "d" / "sub" / "b.bz2", "wb") as f:
        f.write(b"Three FOUR")
    (tmp_path / "d" / "c.txt").write_text("five")
    (tmp_path / "d" / ".hidden").write_text("secret")
    assert list(iter_tokens(tmp_path / "d" / "a.gz")) == ["one", "two"]
    assert list(iter_tokens(tmp_path / "d" / "sub" / "b.bz2")) == ["three", "four"]
    # sorted paths: a.gz, c.txt, sub/b.bz2; a file's end ends its last word
    assert list(iter_tokens(tmp_path / "d")) == ["one", "two", "five", "three", "four"]


def test_compression_found_by_content_not_name(tmp_path):
    (tmp_path / "plain.gz").write_text("not really gzip")
    (tmp_path / "packed.txt").write_bytes(gzip.compress(b"really gzip"))
    assert list(iter_tokens(tmp_path / "plain.gz")) == ["not", "really", "gzip"]
    assert list(iter_tokens(tmp_path / "packed.txt")) == ["really", "gzip"]


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"From STDIN, too.")))
    assert list(iter_tokens("-")) == ["from", "stdin", "too"]


def test_binary_empty_missing_and_zip_are_clear_errors(tmp_path):
    (tmp_path / "bin").write_bytes(bytes(range(256)) * 10)
    with pytest.raises(EmbedError, match="binary"):
        list(iter_tokens(tmp_path / "bin"))
    (tmp_path / "latin1").write_bytes(b"caf\xe9 " * 100)
    with pytest.raises(EmbedError, match="not UTF-8"):
        list(iter_tokens(tmp_path / "latin1"))
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(EmbedError, match="no words"):
        list(iter_tokens(tmp_path / "empty"))
    (tmp_path / "punct").write_text("... -- !!!")
    with pytest.raises(EmbedError, match="no words"):
        list(iter_tokens(tmp_path / "punct"))
    with pytest.raises(EmbedError, match="not found"):
        list(iter_tokens(tmp_path / "missing"))
    (tmp_path / "emptydir").mkdir()
    with pytest.raises(EmbedError, match="no files"):
        list(iter_tokens(tmp_path / "emptydir"))
    (tmp_path / "t.zip").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(EmbedError, match="zip archive"):
        list(iter_tokens(tmp_path / "t.zip"))
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"some words here")[:-12])
    with pytest.raises(EmbedError, match="cannot read"):
        list(iter_tokens(tmp_path / "bad.gz"))


def test_progress_reports_every_input_byte(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text(TEXT8 * 50)
    seen = []
    list(token_chunks(f, chunk_bytes=100, progress=seen.append))
    assert sum(seen) == f.stat().st_size


def test_issue13_item14_empty_corpus_path_is_an_error_not_the_current_directory(tmp_path,
                                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.txt").write_text("words in the current directory")
    with pytest.raises(EmbedError, match="corpus path is empty"):
        list(iter_tokens(""))


def test_issue13_item9_own_cache_files_are_never_read_as_corpus(tmp_path):
    from embed.data.encode import encode_corpus

    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("alpha beta")
    (d / "b.txt").write_text("gamma")
    encode_corpus(d / "a.txt", progress=False)  # leaves a.txt.<key>.ids.npy etc. inside d
    assert len(list(d.glob("a.txt.*"))) == 4
    (d / "notes.txt.0123456789ab-0123456789ab.json.bak").write_text("mine, not a cache")
    assert list(iter_tokens(d)) == ["alpha", "beta", "gamma", "mine", "not", "a", "cache"]
    c = encode_corpus(d, progress=False)
    assert c.vocab.total == 7
