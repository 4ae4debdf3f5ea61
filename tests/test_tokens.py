"""The tokenisation rules against plainly written references (unicodedata + str.lower)."""
import random
import unicodedata

import pytest

from embed.data.corpus import CorpusReader
from embed.data.tokens import MAX_TOKEN_BYTES, Normalizer, normalizer, tokenize
from embed.errors import EmbedError

MULTI = ("Café naïve Straße москва ΟΔΟΣ ΣΑΣ don't l’homme 'tis dogs' 東京は日本の首都です 2024 "
         "İstanbul x\u00a0y Ünïcödé-Wörter ½ ٣٤ हिन्दी")


def is_ideograph(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith("CJK ") and "IDEOGRAPH" in name


def is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN" and not is_ideograph(ch)


def reference_words(text: str, cap: int = MAX_TOKEN_BYTES) -> list[str]:
    """The `words` rule written out: runs of letters/marks/numbers with inner apostrophes,
    each CJK ideograph alone, str.lower, cut to cap bytes at a character boundary."""
    tokens, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if is_ideograph(ch):
            tokens.append(ch)
            i += 1
            continue
        if not is_word_char(ch):
            i += 1
            continue
        run = []
        while i < n:
            if is_word_char(text[i]):
                run.append(text[i])
            elif text[i] in "'\u2019" and i + 1 < n and is_word_char(text[i + 1]):
                run.append("'")
            else:
                break
            i += 1
        low = "".join(run[:cap + 1]).lower().encode()
        tokens.append(low[:cap].decode("utf-8", "ignore"))
    return tokens


def test_each_rule_on_multilingual_text():
    assert tokenize(MULTI, "words") == [
        "café", "naïve", "straße", "москва", "οδος", "σας", "don't", "l'homme", "tis", "dogs",
        "東", "京", "は", "日", "本", "の", "首", "都", "です", "2024", "i̇stanbul", "x", "y",
        "ünïcödé", "wörter", "½", "٣٤", "हिन्दी"]
    assert tokenize(MULTI, "text8") == [
        "caf", "na", "ve", "stra", "e", "don", "t", "l", "homme", "tis", "dogs", "stanbul", "x",
        "y", "n", "c", "d", "w", "rter"]
    assert tokenize(MULTI, "split") == MULTI.split()
    assert tokenize(MULTI, "words") == reference_words(MULTI)


def test_words_lowercases_every_word_character_as_str_lower():
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000
             and is_word_char(chr(c))]
    assert len(chars) > 40_000
    assert tokenize(" ".join(chars), "words") == [c.lower() for c in chars]


def test_greek_final_sigma_as_python_does_it():
    for word in ["ΟΔΟΣ", "ΣΑΣ", "Σ", "ΑΣ'Σ", "ΑΣ\u0301", "ΑΣ\u0345Β", "ΜΑΣ'", "ΑΣΑ"]:
        assert tokenize(word, "words") == reference_words(word), word
    assert tokenize("ΟΔΟΣ ΟΔΟΣΟ", "words") == ["οδος", "οδοσο"]


def test_words_on_random_multilingual_strings_matches_the_reference():
    rng = random.Random(7)
    pool = (list("abcXYZ019'’ \n.,-_") + list("ΣσςΑαΩ") + list("éÉßẞİıЖжЁё")
            + ["\u0301", "\u0345", "\u02b0", "\u00a0", "東", "の", "\u212a", "\u0130", "½"])
    for _ in range(2000):
        s = "".join(rng.choice(pool) for _ in range(rng.randint(1, 30)))
        assert tokenize(s, "words") == reference_words(s), repr(s)


def test_text8_rule_keeps_text8_unchanged_and_words_agrees_on_it():
    text8 = " anarchism originated as a term of abuse first used against early working class"
    assert tokenize(text8, "text8") == text8.split()
    assert tokenize(text8, "words") == text8.split()
    assert tokenize(text8, "split") == text8.split()


def test_split_matches_python_on_random_bytes():
    rng = random.Random(3)
    pool = [b"a", b"Z", b" ", b"\t", b"\n", b"\xc3\xa9", b"\xe2\x80\x83", b"\xc2\xa0",
            b"\xe6\x9d\xb1", b"\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f\x98\x80",
            b"\xf4\x90\x80\x80", b"\xff", b"\x1c"]
    for _ in range(2000):
        data = b"".join(rng.choice(pool) for _ in range(rng.randint(1, 25)))
        out, used = Normalizer("split", lines=False)(data, True)
        assert used == len(data)
        assert out.decode("utf-8").split(" ")[:-1] == data.decode("utf-8", "replace").split(), data


@pytest.mark.parametrize("rule", ["words", "text8", "split"])
def test_blocks_cut_anywhere_give_the_same_tokens(tmp_path, rule):
    text = (MULTI + " ΟΔΟΣ\n") * 3
    f = tmp_path / "m.txt"
    f.write_text(text, encoding="utf-8")
    whole = tokenize(text, rule)
    for chunk in [1, 2, 3, 5, 7, 64]:
        got = [t for b in CorpusReader(f, rule, chunk_bytes=chunk).blocks()
               for t in b.decode().split()]
        assert got == whole, chunk


def test_long_tokens_are_cut_and_counted(tmp_path):
    long_ascii = "a" * 250
    long_greek = "Σ" * 120  # 2 bytes each: cut at 100 bytes = 50 letters
    norm = Normalizer("words")
    out, _ = norm(f"x {long_ascii} y {long_greek} don't\n".encode(), True)
    assert out.decode().split() == ["x", "a" * 100, "y", "σ" * 50, "don't"]
    assert norm.cut_tokens == 2
    # a 3 MB "word" read in 1 MB blocks: cut once, the rest skipped, never carried whole
    f = tmp_path / "big.txt"
    f.write_bytes(b"before " + b"z" * 3_000_000 + b" after")
    reader = CorpusReader(f, "words")
    got = [t for b in reader.blocks() for t in b.decode().split()]
    assert got == ["before", "z" * MAX_TOKEN_BYTES, "after"] and reader.cut_tokens == 1


def test_normalizer_spells_query_words_as_the_vocabulary():
    words = normalizer("words")
    assert words("King") == "king"
    assert words(" King, ") == "king"
    assert words("l’Homme") == "l'homme"
    assert words("STRASSE") == "strasse" and words("Straße") == "straße"
    assert words("ΟΔΟΣ") == "οδος"
    assert words("New_York") == "new_york"  # inner separators stay: phrases keep matching
    assert words("...") == ""
    assert normalizer("text8")("Café") == "caf"
    assert normalizer("split")("  King  ") == "King"
    with pytest.raises(EmbedError, match="unknown tokens rule"):
        normalizer("lower")
