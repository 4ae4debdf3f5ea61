"""`embed train`: read a corpus, train skip-gram or CBOW, checkpoint, print nearest neighbours."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from embed.cli_options import (CORPUS_HELP, data_dir_option, min_count_option, quiet_option,
                               vocab_size_option)
from embed.errors import EmbedError
from embed.w2v.settings import KERNELS, LOSSES, MODELS, OPTIMIZER_NAMES, SCHEDULES, TrainSettings

# Options a resumed run takes from the model (its settings.json wins); --epochs is allowed: on a
# finished model it starts a new schedule of that many epochs.
FIXED_BY_MODEL = tuple(n for n in TrainSettings.names() if n not in ("epochs", "chunk_words",
                                                                     "cbow_group")) + (
    "vocab_size", "min_count", "max_words")

# Vocabulary ranks whose nearest neighbours are shown at the end: frequent, past the stop words.
SHOWCASE_RANKS = (100, 200, 400, 800, 1600)


def _corpus_name(corpus) -> str:
    if corpus is None or str(corpus) == "text8":
        return "text8"
    if str(corpus) == "-":
        return "stdin"
    p = Path(corpus)
    return p.stem or p.name or "corpus"


def _neighbours(model, topn: int = 5) -> list[str]:
    wv = model.wv
    lines = []
    start = 0 if model.keep_unk else 1
    ranks = [r for r in SHOWCASE_RANKS if r + start < len(model.vocab)]
    if len(ranks) < 3:  # a small vocabulary: its most frequent words
        ranks = list(range(min(5, len(model.vocab) - start)))
    for rank in ranks:
        word = model.vocab.words[rank + start]
        near = ", ".join(f"{w} ({s:.2f})" for w, s in wv.most_similar(word, topn=topn))
        lines.append(f"  {word}: {near}")
    return lines


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


@click.command("train")
@click.argument("corpus", required=False)
@click.option("--model", type=click.Choice(MODELS), default="skipgram", show_default=True,
              help="skipgram predicts the context from each word; cbow the word from its "
                   "context (faster).")
@click.option("--dim", "--size", "--vector-size", "dim", type=int, default=100,
              show_default=True,
              help="Vector size (--size is word2vec.c's name, --vector-size gensim's).")
@click.option("--window", type=int, default=5, show_default=True,
              help="Largest context distance (reduced at random per word, as word2vec).")
@click.option("--negative", type=int, default=5, show_default=True,
              help="Negative samples per target word (0: none, with --hs).")
@click.option("--sample", type=float, default=1e-3, show_default=True,
              help="Subsampling threshold for frequent words (0: off).")
@click.option("--epochs", "--iter", "epochs", type=int, default=5, show_default=True,
              help="Passes over the corpus (--iter is word2vec.c's name). With --resume on a "
                   "finished model: a new schedule of this many epochs.")
@click.option("--alpha", type=float, default=None,
              help="Starting learning rate [default: 0.025 skipgram, 0.05 cbow].")
@click.option("--min-alpha", type=float, default=None, help="Final learning rate [alpha*1e-4].")
@click.option("--lr-schedule", type=click.Choice(SCHEDULES), default="linear", show_default=True,
              help="linear decay to --min-alpha, constant, or hypergradient (adapts the rate; "
                   "layered path, slower).")
@vocab_size_option
@min_count_option
@click.option("--max-words", type=click.IntRange(min=1), default=None,
              help="Train on the first N words of the corpus only.")
@click.option("--threads", "--workers", "threads", type=click.IntRange(min=1), default=None,
              help="Worker threads [all cores] (--workers is gensim's name).")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed (initial vectors, subsampling, windows, negatives).")
@click.option("--optimizer", type=click.Choice(OPTIMIZER_NAMES), default="sgd",
              show_default=True, help="Any embed.nn optimizer (other than sgd: layered path, "
                                      "slower).")
@click.option("--kernel", type=click.Choice(KERNELS), default="batched", show_default=True,
              help="batched: shared negatives (fast); classic: word2vec.c's one-pair-at-a-time "
                   "update.")
@click.option("--loss", type=click.Choice(LOSSES), default="negative", show_default=True,
              help="softmax: full-softmax cross-check (vocabularies of at most 5,000 words, "
                   "slow).")
@click.option("--keep-unk", is_flag=True, help="Train UNK as a token instead of dropping it.")
@click.option("--hs", is_flag=True,
              help="Hierarchical softmax: predict words along a Huffman tree of the vocabulary "
                   "(word2vec.c's -hs 1, gensim's hs=1). With --negative 0 it is the only "
                   "output layer; with negatives both train, as in word2vec.c and gensim.")
@data_dir_option
@click.option("-o", "--output", "out", default=None,
              help="Model directory [runs/<model>-<corpus name>].")
@click.option("--resume", default=None, metavar="MODEL_DIR",
              help="Continue training this model directory (after Ctrl-C, or on new text with "
                   "--corpus, or for more --epochs).")
@click.option("--corpus", "new_corpus", default=None,
              help="With --resume: keep training the model's vocabulary on this new text.")
@quiet_option
def train(corpus, model, dim, window, negative, sample, epochs, alpha, min_alpha, lr_schedule,
          vocab_size, min_count, max_words, threads, seed, optimizer, kernel, loss, keep_unk, hs,
          data_dir, out, resume, new_corpus, quiet):
    """Train skip-gram or CBOW word vectors on CORPUS.

    CORPUS: """ + CORPUS_HELP + """

    \b
    Examples:
      embed train                                  # skip-gram on text8 -> runs/skipgram-text8
      embed train my.txt --model cbow --epochs 10 -o runs/cbow
      embed train my.txt --hs --negative 0         # hierarchical softmax instead of negatives
      embed train --resume runs/cbow               # continue after Ctrl-C
      embed train --resume runs/cbow --corpus more.txt   # online learning, same vocabulary
      embed train --resume runs/cbow --epochs 2    # two more epochs on a finished model
    """
    from embed.w2v import pipeline
    from embed.w2v.train import TrainingInterrupted
    from embed.w2v.train import train as run_train

    progress = not quiet
    ctx = click.get_current_context()
    given = {name for name in ctx.params
             if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE}
    if new_corpus is not None and resume is None:
        raise EmbedError("--corpus adds new text to a model: use it with --resume MODEL_DIR")
    if resume is not None:
        fixed = [f"--{name.replace('_', '-')}" for name in FIXED_BY_MODEL if name in given]
        if fixed:
            raise EmbedError(f"--resume trains with the model's saved settings; drop "
                             f"{', '.join(fixed)}")
        if corpus is not None and new_corpus is not None and corpus != new_corpus:
            raise EmbedError(f"two corpora given ({corpus} and --corpus {new_corpus}); "
                             "give the new text once")
        previous = pipeline.load_for_resume(resume)
        text = pipeline.resume_corpus(previous, resume, new_corpus or corpus, data_dir=data_dir,
                                      progress=progress)
        out_dir = Path(out) if out is not None else Path(resume)
        _check_model_dir_path(out_dir)
        kwargs = dict(resume=previous, **({"epochs": epochs} if "epochs" in given else {}))
        extra = {"corpus": text.source}
    else:
        # bad values fail before a corpus is read (or text8 downloaded)
        settings = TrainSettings(model=model, dim=dim, window=window, negative=negative,
                                 sample=sample, epochs=epochs, alpha=alpha, min_alpha=min_alpha,
                                 seed=seed, optimizer=optimizer, kernel=kernel,
                                 keep_unk=keep_unk, hs=hs, lr_schedule=lr_schedule,
                                 loss=loss)
        out_dir = Path(out) if out is not None else Path("runs") / f"{model}-{_corpus_name(corpus)}"
        _check_model_dir_path(out_dir)
        text = pipeline.read_corpus(corpus, vocab_size=vocab_size, min_count=min_count,
                                    data_dir=data_dir, progress=progress, max_words=max_words)
        kwargs = dict(vocab=text.vocab, settings=settings)
        extra = {"corpus": text.source, "vocab_size": vocab_size, "min_count": min_count,
                 **({"max_words": max_words} if max_words else {})}
    try:
        result = run_train(text.ids, ends=text.ends, threads=threads, progress=progress,
                           out_dir=out_dir, extra_settings=extra, notify=_warn, **kwargs)
    except TrainingInterrupted as e:
        st = e.model.state or {}
        click.echo(f"interrupted: checkpoint saved in {out_dir} at epoch {st.get('epoch', 0) + 1}"
                   f", chunk {st.get('chunk', 0)}; continue with: embed train --resume "
                   f"{out_dir}", err=True)
        sys.exit(130)
    except MemoryError as e:
        raise EmbedError(f"out of memory: {e} (lower --dim, --negative, --window or "
                         "--vocab-size)") from None
    click.echo(f"saved {result.settings['model']} model ({len(result.vocab):,} words, dim "
               f"{result.dim}) to {out_dir}")
    if not quiet:
        click.echo("nearest neighbours:")
        for line in _neighbours(result):
            click.echo(line)


def _check_model_dir_path(path: Path) -> None:
    """Fail before any training if the model directory could never be written: the first
    checkpoint comes only after an epoch, too late to learn that a file stands in the way."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir():
        raise EmbedError(f"cannot write the model to {path}: {p} is a file, not a directory")
