"""embed.phrases.Phrases against gensim 4's Phrases: same phrases, same scores, same output.

gensim is run with ``connector_words=frozenset()`` and a ``max_vocab_size`` large enough that it
prunes nothing, the settings under which the two are meant to agree exactly (floats compared
with ==, not approximately).
"""
import random

import pytest
from gensim.models.phrases import Phrases as GensimPhrases

from embed.phrases import Phrases

COLLOCATIONS = [["new", "york"], ["new", "york", "city"], ["san", "francisco"],
                ["los", "angeles"], ["new", "jersey"], ["york", "city"]]
# tokens holding the delimiter: gensim's string-keyed counts merge "new_york" (a token) with
# the bigram (new, york), and (new_york, city) with (new, york_city)
CLASHING = ["new_york", "york_city", "new_york_city", "san_", "_francisco", "x_y_z"]


def build_corpus(seed=0, n=700, clash=True):
    rng = random.Random(seed)
    common = [f"w{i}" for i in range(40)]
    rare = [f"r{i}" for i in range(300)]
    sentences = []
    for _ in range(n):
        sentence = []
        for _ in range(rng.randint(0, 14)):  # some sentences are empty
            roll = rng.random()
            if roll < 0.2:
                sentence += rng.choice(COLLOCATIONS)
            elif roll < 0.3 and clash:
                sentence.append(rng.choice(CLASHING))
            elif roll < 0.75:
                sentence.append(common[min(int(rng.expovariate(0.15)), len(common) - 1)])
            else:
                sentence.append(rng.choice(rare))
        sentences.append(sentence)
    return sentences


def gensim_phrases(sentences, min_count, threshold, scoring, delimiter="_"):
    return GensimPhrases(sentences, min_count=min_count, threshold=threshold, scoring=scoring,
                         delimiter=delimiter, max_vocab_size=10**9,
                         connector_words=frozenset())


SETTINGS = [("default", 5, 1.0), ("default", 1, 1.0), ("default", 3, 0.5),
            ("npmi", 5, 0.5), ("npmi", 1, 0.0), ("npmi", 2, -0.5)]


@pytest.mark.parametrize("scoring,min_count,threshold", SETTINGS)
def test_phrases_scores_and_output_equal_gensim(scoring, min_count, threshold):
    sentences = build_corpus()
    ours = Phrases(min_count=min_count, threshold=threshold, scoring=scoring).fit(sentences)
    theirs = gensim_phrases(sentences, min_count, threshold, scoring)
    assert ours.len_vocab == len(theirs.vocab)
    assert ours.corpus_word_count == theirs.corpus_word_count
    expected = theirs.export_phrases()
    assert len(expected) > 3  # the settings find something to compare
    assert ours.phrases == expected  # keys and float64 scores, exactly
    assert list(ours.transform(sentences)) == list(theirs[sentences])


def test_the_corpus_exercises_the_delimiter_clash():
    # Without the clash handling these tokens would make counts, len(vocab) and the joined
    # phrases differ from gensim's; check that the corpus above really holds such cases.
    sentences = build_corpus()
    theirs = gensim_phrases(sentences, 1, 1.0, "default")
    own_count = sum(s.count("new_york") for s in sentences)
    pair_count = sum(1 for s in sentences for a, b in zip(s, s[1:]) if (a, b) == ("new", "york"))
    assert own_count and pair_count and theirs.vocab["new_york"] == own_count + pair_count
    ours = Phrases(min_count=1, threshold=1.0).fit(sentences)
    assert "new_york_city" in ours.phrases and "new_york_city" in theirs.export_phrases()


def test_fit_transform_reads_a_generator_once_and_keeps_empty_sentences():
    sentences = build_corpus(seed=1)
    ours = Phrases(min_count=2, threshold=5.0)
    joined = ours.fit_transform(s for s in sentences)
    theirs = gensim_phrases(sentences, 2, 5.0, "default")
    assert joined == list(theirs[sentences])
    assert len(joined) == len(sentences) and [] in joined


@pytest.mark.parametrize("scoring,threshold", [("default", 2.0), ("npmi", 0.2)])
def test_unseen_sentences_with_unknown_tokens_join_as_gensim(scoring, threshold):
    fitted_on = build_corpus(seed=2)
    ours = Phrases(min_count=2, threshold=threshold, scoring=scoring).fit(fitted_on)
    theirs = gensim_phrases(fitted_on, 2, threshold, scoring)
    # "new_york" tokens and the unknown "san_francisco", "york_city_x": gensim scores them from
    # whatever string keys they spell, known as tokens or not
    rng = random.Random(5)
    pool = sorted({t for s in fitted_on for t in s})[:60] + [
        "new", "york", "city", "new_york", "san_francisco", "york_city_x", "unknown", "zz"]
    other = [[rng.choice(pool) for _ in range(rng.randint(0, 12))] for _ in range(400)]
    assert list(ours.transform(other)) == list(theirs[other])


def test_two_passes_equal_gensim_applied_twice():
    sentences = build_corpus(seed=3, n=1500)
    first = gensim_phrases(sentences, 3, 5.0, "default")
    once = list(first[sentences])
    second = gensim_phrases(once, 3, 5.0, "default")
    ours1 = Phrases(min_count=3, threshold=5.0)
    ours2 = Phrases(min_count=3, threshold=5.0)
    twice = ours2.fit_transform(ours1.fit_transform(sentences))
    assert ours1.phrases == first.export_phrases()
    assert ours2.phrases == second.export_phrases()
    assert twice == list(second[once])
    assert any(token.count("_") >= 2 for s in twice for token in s)  # three or four words


def test_other_delimiter_of_two_characters():
    sentences = [[t.replace("_", "--") for t in s] for s in build_corpus(seed=4)]
    sentences += [["new-", "-york", "new", "york"]] * 6  # parts that end/start with half of it
    ours = Phrases(min_count=2, threshold=3.0, delimiter="--").fit(sentences)
    theirs = gensim_phrases(sentences, 2, 3.0, "default", delimiter="--")
    assert ours.phrases == theirs.export_phrases()
    assert list(ours.transform(sentences)) == list(theirs[sentences])


def test_saved_table_joins_as_gensim_frozen_phrases(tmp_path):
    sentences = build_corpus(seed=6)
    ours = Phrases(min_count=2, threshold=4.0).fit(sentences)
    ours.save(tmp_path / "p.tsv")
    loaded = Phrases.load(tmp_path / "p.tsv")
    assert loaded.phrases == ours.phrases  # scores survive the text round trip exactly
    frozen = gensim_phrases(sentences, 2, 4.0, "default").freeze()
    other = build_corpus(seed=7, n=300) + [["new_york", "city", "new", "york_city"]]
    assert list(loaded.transform(other)) == list(frozen[other])
