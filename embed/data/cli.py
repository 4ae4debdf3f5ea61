"""`embed vocab` and `embed batches`: look at a corpus the way the trainer will see it."""
from __future__ import annotations

import click

from embed.atomic import cannot_write

_CORPUS_HELP = "text8 (the default; downloaded on first use), a file, a directory, or - for stdin."


def _data_dir_option(f):
    return click.option("--data-dir", type=click.Path(file_okay=False),
                        help="Where data lives (default: $EMBED_DATA_DIR or ./data).")(f)


@click.command()
@click.argument("corpus", required=False, default="text8")
@click.option("--size", type=click.IntRange(min=2), default=50_000, show_default=True,
              help="Vocabulary entries, UNK included.")
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True,
              help="Drop words seen fewer times (they count as UNK).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the vocabulary here as word<TAB>count lines.")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many of the most frequent words to show.")
@_data_dir_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def vocab(corpus, size, min_count, output, top, data_dir, quiet):
    """Count CORPUS and print a summary of its vocabulary.

    CORPUS: """ + _CORPUS_HELP
    from embed.data.encode import load_corpus

    voc, ids = load_corpus(corpus, vocab_size=size, min_count=min_count, data_dir=data_dir,
                           progress=not quiet)
    tokens = len(ids)
    unk = int(voc.counts[0])
    click.echo(f"tokens:      {tokens:,}")
    n = len(voc) - 1
    click.echo(f"vocabulary:  {len(voc):,} entries (UNK + {n:,} word{'' if n == 1 else 's'})")
    click.echo(f"UNK share:   {unk / tokens:.2%} ({unk:,} tokens)")
    if top:
        shown = ", ".join(f"{w} {int(c):,}" for w, c in zip(voc.words[1:top + 1],
                                                            voc.counts[1:top + 1]))
        click.echo(f"top words:   {shown}")
    if output:
        try:
            voc.save(output)
        except OSError as e:  # its folder is a file, no permission, disk full
            raise cannot_write(output, e) from None
        click.echo(f"wrote {output}")


@click.command()
@click.argument("corpus", required=False, default="text8")
@click.option("--model", type=click.Choice(["skipgram", "cbow"]), default="skipgram",
              show_default=True)
@click.option("--batch-size", type=int, default=8, show_default=True)
@click.option("--num-skips", type=int, default=2, show_default=True,
              help="skip-gram: examples per centre word.")
@click.option("--skip-window", type=int, default=1, show_default=True,
              help="skip-gram: words each side of the centre.")
@click.option("--context", type=int, default=1, show_default=True,
              help="CBOW: words each side of the centre (R).")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many consecutive batches to print.")
@click.option("--seed", type=int, default=None, help="skip-gram: seed for the context choice.")
@click.option("--size", type=click.IntRange(min=2), default=50_000, show_default=True,
              help="Vocabulary entries, UNK included.")
@_data_dir_option
@click.option("--ids", is_flag=True, help="Print word ids beside the words.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def batches(corpus, model, batch_size, num_skips, skip_window, context, count, seed, size,
            data_dir, ids, quiet):
    """Print decoded skip-gram or CBOW teaching batches from CORPUS.

    CORPUS: """ + _CORPUS_HELP
    from embed.data.batches import CBOWBatcher, SkipGramBatcher
    from embed.data.encode import load_corpus

    voc, stream = load_corpus(corpus, vocab_size=size, data_dir=data_dir, progress=not quiet)
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
