"""`embed vocab` and `embed batches`: look at a corpus the way the trainer will see it."""
from __future__ import annotations

import click

from embed.atomic import cannot_write
from embed.cli_options import (CORPUS_HELP, data_dir_option, min_count_option, quiet_option,
                               sentences_option, tokens_option, vocab_size_option)
from embed.data.tokens import MAX_TOKEN_BYTES
from embed.data.wordtable import MAX_SENTENCE

# No `--size` alias for --vocab-size here: word2vec.c users mean the vector size by `--size`
# (train takes it so), and one name meaning two things is what these options are unifying.


# (help= rather than a docstring: a docstring built with + is no docstring, and click then
# showed no description at all)
VOCAB_HELP = f"""Count CORPUS and print its vocabulary: tokens, sentences, UNK share, top words.

\b
CORPUS: {CORPUS_HELP}

\b
Examples:
  embed vocab                                   # text8
  embed vocab my_texts/ --vocab-size 20000 --min-count 5 -o vocab.tsv
  zcat news.txt.gz | embed vocab - --tokens split
"""

BATCHES_HELP = f"""Print decoded skip-gram or CBOW teaching batches from CORPUS, as the seed
describes them (each batch continues where the last stopped; windows run across line ends).

\b
CORPUS: {CORPUS_HELP}

\b
Examples:
  embed batches --model skipgram --batch-size 8 --num-skips 2 --skip-window 1
  embed batches my.txt --model cbow --context 2 --count 3 --ids
"""


@click.command(help=VOCAB_HELP)
@click.argument("corpus", required=False, default="text8")
@vocab_size_option
@min_count_option
@tokens_option
@sentences_option
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the vocabulary here (a '# tokens=RULE' line, then word<TAB>count).")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many of the most frequent words to show.")
@data_dir_option
@quiet_option
def vocab(corpus, vocab_size, min_count, tokens, sentences, output, top, data_dir, quiet):
    """Count a corpus and print its vocabulary (see VOCAB_HELP)."""
    from embed.data.encode import encode_corpus

    c = encode_corpus(corpus, vocab_size=vocab_size, min_count=min_count, tokens=tokens,
                      sentences=sentences, data_dir=data_dir, progress=not quiet)
    voc, n_tokens = c.vocab, len(c.ids)
    unk = int(voc.counts[0])
    click.echo(f"tokens:      {n_tokens:,} (rule: {c.tokens})")
    if c.ends is not None:
        longest = int(max(c.ends[0], (c.ends[1:] - c.ends[:-1]).max(initial=0)))
        click.echo(f"sentences:   {len(c.ends):,} (line ends; longest {longest:,} tokens)")
    else:
        click.echo(f"sentences:   none (line ends ignored; {MAX_SENTENCE:,}-word chunks)")
    n = len(voc) - 1
    click.echo(f"vocabulary:  {len(voc):,} entries (UNK + {n:,} word{'' if n == 1 else 's'})")
    click.echo(f"UNK share:   {unk / n_tokens:.2%} ({unk:,} tokens)")
    if c.cut_tokens:
        click.echo(f"cut tokens:  {c.cut_tokens:,} longer than {MAX_TOKEN_BYTES} bytes were cut "
                   f"to {MAX_TOKEN_BYTES}")
    if top:
        shown = ", ".join(f"{w} {int(k):,}" for w, k in zip(voc.words[1:top + 1],
                                                            voc.counts[1:top + 1]))
        click.echo(f"top words:   {shown}")
    if output:
        try:
            voc.save(output)
        except OSError as e:  # its folder is a file, no permission, disk full
            raise cannot_write(output, e) from None
        click.echo(f"wrote {output}")


@click.command(help=BATCHES_HELP)
@click.argument("corpus", required=False, default="text8")
@click.option("--model", type=click.Choice(["skipgram", "cbow"]), default="skipgram",
              show_default=True, help="skipgram: (centre, context) pairs; cbow: (context "
                                      "words, centre) rows.")
@click.option("--batch-size", type=int, default=8, show_default=True,
              help="Examples in each batch.")
@click.option("--num-skips", type=int, default=2, show_default=True,
              help="skip-gram: examples per centre word.")
@click.option("--skip-window", type=int, default=1, show_default=True,
              help="skip-gram: words each side of the centre.")
@click.option("--context", type=int, default=1, show_default=True,
              help="CBOW: words each side of the centre (R).")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many consecutive batches to print.")
@click.option("--seed", type=int, default=None, help="skip-gram: seed for the context choice.")
@vocab_size_option
@min_count_option
@tokens_option
@data_dir_option
@click.option("--ids", is_flag=True, help="Print word ids beside the words.")
@quiet_option
def batches(corpus, model, batch_size, num_skips, skip_window, context, count, seed, vocab_size,
            min_count, tokens, data_dir, ids, quiet):
    """Print teaching batches (see BATCHES_HELP)."""
    from embed.data.batches import CBOWBatcher, SkipGramBatcher
    from embed.data.encode import load_corpus

    voc, stream = load_corpus(corpus, vocab_size=vocab_size, min_count=min_count, tokens=tokens,
                              data_dir=data_dir, progress=not quiet)
    word = (lambda i: f"{i} {voc.words[i]}") if ids else (lambda i: voc.words[i])
    if model == "skipgram":
        gen = SkipGramBatcher(stream, batch_size, num_skips, skip_window, seed=seed)
    else:
        gen = CBOWBatcher(stream, batch_size, context)
    for n in range(1, count + 1):
        x, y = gen.next()
        click.echo(f"batch {n}")
        if model == "skipgram":
            for centre, label in zip(x.tolist(), y[:, 0].tolist()):
                click.echo(f"  {word(centre)} -> {word(label)}")
        else:
            for row, label in zip(x.tolist(), y.tolist()):
                click.echo(f"  [{', '.join(word(i) for i in row)}] -> {word(label)}")
