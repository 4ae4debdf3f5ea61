"""`embed phrases`: join frequent collocations of a corpus file into single tokens."""
from __future__ import annotations

import click

from embed.cli_options import data_dir_option, quiet_option, tokens_option


@click.command()
@click.argument("corpus")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The joined corpus (one sentence a line); the phrase table goes beside it "
                   "as OUTPUT.phrases.tsv (phrase<TAB>score).")
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True,
              help="Bigrams seen fewer times are never phrases (and default scoring subtracts "
                   "it from the bigram count, as word2vec does).")
@click.option("--threshold", type=float, default=100.0, show_default=True,
              help="A bigram is a phrase when its score is above this (default scoring: > 0; "
                   "npmi: between -1 and 1).")
@click.option("--scoring", type=click.Choice(["default", "npmi"]), default="default",
              show_default=True,
              help="default: word2vec's (count(ab) - min_count) * V / (count(a) count(b)); "
                   "npmi: normalised pointwise mutual information.")
@click.option("--passes", type=click.IntRange(min=1), default=2, show_default=True,
              help="Runs over the corpus; each can join two tokens, so 2 passes give "
                   "phrases of up to four words (word2phrase run twice).")
@click.option("--delimiter", default="_", show_default=True,
              help="Joins the words of a phrase (no white space).")
@tokens_option
@data_dir_option
@quiet_option
def phrases(corpus, output, min_count, threshold, scoring, passes, delimiter, tokens, data_dir,
            quiet):
    """Find phrases in CORPUS (as word2phrase / gensim Phrases) and write it joined.

    CORPUS: a file, a directory of files (.gz/.bz2 too), - for stdin, or text8 (downloaded on
    first use). Sentences are lines (a line longer than 10,000 words is cut every 10,000
    words, as gensim's LineSentence cuts it).
    """
    from embed.data.encode import resolve_corpus
    from embed.phrases.pipeline import apply_phrases_to_file, table_path

    if corpus == "text8":
        corpus = resolve_corpus(corpus, data_dir, progress=not quiet)
    result = apply_phrases_to_file(corpus, output, passes=passes, min_count=min_count,
                                   threshold=threshold, scoring=scoring, delimiter=delimiter,
                                   tokens=tokens, progress=not quiet)
    for number, found in enumerate(result.passes, 1):
        click.echo(f"pass {number}: {len(found):,} phrases")
    click.echo(f"wrote {output} ({result.words_read:,} -> {len(result.ids):,} tokens, "
               f"{len(result.ends):,} sentences) and {table_path(output)}")
