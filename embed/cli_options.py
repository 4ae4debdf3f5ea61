"""Click options that mean the same thing in every command, defined once.

A user who learns ``--vocab-size`` or ``-q`` on one command finds it with the same name, default
and help on every other command that has the concept.
"""
from __future__ import annotations

import click

CORPUS_HELP = ("text8 (the default; downloaded on first use), a file, a directory, or - for "
               "stdin.")


def tokens_option(f):
    from embed.data.vocab import RULES

    return click.option("--tokens", type=click.Choice(RULES), default="words", show_default=True,
                        help="How text becomes words: words (Unicode letters and digits, "
                             "lowercased), text8 (a-z only, as text8 was made) or split "
                             "(whitespace-separated, as they are).")(f)


def sentences_option(f):
    return click.option("--sentences", type=click.Choice(["lines", "chunks"]), default="lines",
                        show_default=True,
                        help="lines: a line end ends a sentence (long lines cut every 10,000 "
                             "words, as gensim's LineSentence); chunks: ignore line ends.")(f)


def data_dir_option(f):
    return click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                        help="Where text8 and the encoded-corpus caches live "
                             "[default: $EMBED_DATA_DIR or ./data].")(f)


def quiet_option(f):
    return click.option("-q", "--quiet", is_flag=True, help="No progress bar.")(f)


def vocab_size_option(f):
    return click.option("--vocab-size", type=click.IntRange(min=2), default=50_000,
                        show_default=True, help="Vocabulary entries, UNK included.")(f)


def min_count_option(f):
    return click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True,
                        help="Words seen fewer times are left out of the vocabulary "
                             "(they count as UNK).")(f)
