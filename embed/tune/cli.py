"""`embed tune`: search training settings with random, grid, Bayesian or evolutionary search.

The search itself is library code (:mod:`embed.tune.search`); this module only maps options.
"""
from __future__ import annotations

import click

from embed.cli_options import (data_dir_option, min_count_option, sentences_option,
                               tokens_option, vocab_size_option)
from embed.tune.objective import OBJECTIVES
from embed.tune.strategies import STRATEGIES


@click.command(context_settings={"show_default": True})
@click.argument("corpus")
@click.option("--strategy", type=click.Choice(STRATEGIES), default="bayes",
              help="How the master proposes settings.")
@click.option("--space", "space_file", type=click.Path(dir_okay=False),
              help="Search space file (.toml or .json); default: model, dim, window, negative, "
                   "sample, alpha, epochs, lr_schedule.")
@click.option("--trials", type=click.IntRange(min=1), default=20,
              help="Trials in all (finished ones of a resumed search included).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Trials run at once [default: half the cores locally, every worker thread "
                   "of a Dask cluster].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run trials on this Dask scheduler instead of a local process pool.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Training threads per trial [default: cores / workers locally, 1 on Dask].")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Fix the number of epochs of every trial (removes epochs from the space).")
@click.option("--objective", type=click.Choice(OBJECTIVES), default="analogy+pairs",
              help="Score to maximise (heldout-loss: minus the negative-sampling loss on the "
                   "last 5% of the corpus).")
@click.option("--analogies", type=click.Path(dir_okay=False),
              help="Analogy questions file [default: gensim's questions-words.txt].")
@click.option("--pairs", type=click.Path(dir_okay=False),
              help="Word-pair similarity file [default: gensim's wordsim353.tsv].")
@click.option("--max-words", type=click.IntRange(min=1), default=None,
              help="Train every trial on this many words from the start of the corpus only.")
@vocab_size_option
@min_count_option
@tokens_option
@sentences_option
@click.option("--seed", type=int, default=1, help="Seeds the strategy and every trial's training.")
@click.option("--grid-points", type=click.IntRange(min=1), default=None,
              help="Grid: values per range [default: the finest grid that fits --trials].")
@click.option("--population", type=click.IntRange(min=2), default=None,
              help="Evolution: population size [default: trials/4, between 4 and 10].")
@click.option("--patience", type=click.IntRange(min=1), default=5,
              help="Evolution: stop after this many generations without improvement.")
@click.option("--resume", is_flag=True, help="Continue the search recorded in -o DIR.")
@data_dir_option
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for trials.jsonl, search.json, scores.png.")
def tune(corpus, strategy, space_file, trials, workers, scheduler, threads, epochs, objective,
         analogies, pairs, max_words, vocab_size, min_count, tokens, sentences, seed, grid_points,
         population, patience, resume, data_dir, out_dir):
    """Search word2vec training settings on CORPUS.

    A master proposes settings; workers (a local process pool, or a Dask cluster with
    --scheduler) train on the corpus, encoded once and memory-mapped by every trial, and report
    a score. Each finished or failed trial is appended to DIR/trials.jsonl at once; --resume
    continues an interrupted search without repeating finished trials. One search at a time
    writes to DIR (a lock); workers end with the master, however it ends.
    """
    from embed.tune.search import TuneSearch

    search = TuneSearch(
        corpus, out_dir, strategy=strategy, space=space_file, trials=trials, workers=workers,
        scheduler=scheduler, threads=threads, epochs=epochs, objective=objective,
        analogies=analogies, pairs=pairs, max_words=max_words, vocab_size=vocab_size,
        min_count=min_count, tokens=tokens, sentences=sentences, seed=seed,
        grid_points=grid_points, population=population,
        patience=patience, resume=resume, data_dir=data_dir)
    result = search.run(echo=lambda line: click.echo(line, err=True))
    click.echo("\n" + result.report())
