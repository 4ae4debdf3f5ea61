"""`embed train`: read a corpus, train skip-gram or CBOW, checkpoint, print nearest neighbours."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from embed.errors import EmbedError

# Options fixed by the model being resumed (its settings.json wins).
SAVED_SETTINGS = ("model", "dim", "window", "negative", "sample", "epochs", "alpha", "min_alpha",
                  "lr_schedule", "vocab_size", "min_count", "seed", "optimizer", "kernel", "loss",
                  "keep_unk")

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
        idx = rank + start
        word = model.vocab.words[idx]
        near = ", ".join(f"{w} ({s:.2f})" for w, s in wv.most_similar(word, topn=topn))
        lines.append(f"  {word}: {near}")
    return lines


@click.command("train")
@click.argument("corpus", required=False)
@click.option("--model", type=click.Choice(["skipgram", "cbow"]), default="skipgram",
              show_default=True)
@click.option("--dim", type=int, default=100, show_default=True, help="Vector size.")
@click.option("--window", type=int, default=5, show_default=True,
              help="Largest context distance (reduced at random per word, as word2vec).")
@click.option("--negative", type=int, default=5, show_default=True, help="Negatives per target.")
@click.option("--sample", type=float, default=1e-3, show_default=True,
              help="Subsampling threshold for frequent words (0: off).")
@click.option("--epochs", type=int, default=5, show_default=True)
@click.option("--alpha", type=float, default=None,
              help="Starting learning rate [default: 0.025 skipgram, 0.05 cbow].")
@click.option("--min-alpha", type=float, default=None, help="Final learning rate [alpha*1e-4].")
@click.option("--lr-schedule", type=click.Choice(["linear", "constant", "hypergradient"]),
              default="linear", show_default=True)
@click.option("--vocab-size", type=int, default=50_000, show_default=True,
              help="Vocabulary entries including UNK.")
@click.option("--min-count", type=int, default=1, show_default=True)
@click.option("--threads", type=int, default=None, help="Worker threads [all cores].")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--optimizer", default="sgd", show_default=True,
              help="sgd|momentum|adagrad|adadelta|rmsprop|adam (non-SGD: slower layered path).")
@click.option("--kernel", type=click.Choice(["batched", "classic"]), default="batched",
              show_default=True, help="batched: shared negatives (fast); classic: word2vec.c's "
                                      "one-pair-at-a-time update.")
@click.option("--loss", type=click.Choice(["negative", "softmax"]), default="negative",
              show_default=True, help="softmax: full-softmax cross-check (vocabularies of at "
                                      "most 5,000 words, slow).")
@click.option("--keep-unk", is_flag=True, help="Train UNK as a token instead of dropping it.")
@click.option("--data-dir", default=None, help="Where text8 and caches go [./data].")
@click.option("-o", "--output", "out", default=None,
              help="Model directory [runs/<model>-<corpus name>].")
@click.option("--resume", default=None, help="Continue training this model directory.")
@click.option("--corpus", "new_corpus", default=None,
              help="With --resume: keep training the model's vocabulary on this new text.")
@click.option("--quiet", is_flag=True, help="No progress bar and no neighbours.")
def train(corpus, model, dim, window, negative, sample, epochs, alpha, min_alpha, lr_schedule,
          vocab_size, min_count, threads, seed, optimizer, kernel, loss, keep_unk, data_dir, out,
          resume, new_corpus, quiet):
    """Train skip-gram or CBOW word vectors on CORPUS (default: text8, downloaded on first use).

    \b
    Examples:
      embed train                                  # skip-gram on text8 -> runs/skipgram-text8
      embed train my.txt --model cbow --epochs 10 -o runs/cbow
      embed train --resume runs/cbow               # continue after Ctrl-C
      embed train --resume runs/cbow --corpus more.txt   # online learning, same vocabulary
    """
    from embed.data.encode import load_corpus
    from embed.w2v.model import load_model
    from embed.w2v.train import TrainingInterrupted, check_settings
    from embed.w2v.train import train as run_train

    progress = not quiet
    if threads is not None and threads < 1:
        raise EmbedError(f"threads must be an integer >= 1, got {threads}")
    if new_corpus is not None and resume is None:
        raise EmbedError("--corpus adds new text to a model: use it with --resume MODEL_DIR")
    if resume is not None:
        ctx = click.get_current_context()
        given = [f"--{name.replace('_', '-')}" for name in SAVED_SETTINGS
                 if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE]
        if given:
            raise EmbedError(f"--resume trains with the model's saved settings; drop "
                             f"{', '.join(given)}")
        if corpus is not None and new_corpus is not None and corpus != new_corpus:
            raise EmbedError(f"two corpora given ({corpus} and --corpus {new_corpus}); "
                             "give the new text once")
        if corpus is not None and new_corpus is None:
            new_corpus = corpus
        previous = load_model(resume)
        source = new_corpus if new_corpus is not None else previous.settings.get("corpus")
        if source is None:
            raise EmbedError(f"{resume} does not say which corpus it was trained on; "
                             "give it with --corpus")
        if new_corpus is None and str(source) == "-":
            raise EmbedError(f"{resume} was trained on standard input; give the text again with "
                             "--corpus - (or a file)")
        ids = None
        if new_corpus is None and "vocab_size" in previous.settings:
            # the original corpus: its cached encoding, if the vocabulary still matches
            vocab, ids = load_corpus(source, vocab_size=int(previous.settings["vocab_size"]),
                                     min_count=int(previous.settings.get("min_count", 1)),
                                     data_dir=data_dir, progress=progress)
            if vocab != previous.vocab:
                ids = None
        if ids is None:
            _, ids = load_corpus(source, vocab=previous.vocab, data_dir=data_dir,
                                 progress=progress)
        out_dir = Path(out) if out is not None else Path(resume)
        _check_model_dir_path(out_dir)
        kwargs = dict(resume=previous)
        extra = {"corpus": str(Path(source).resolve()) if Path(source).exists() else str(source)}
    else:
        # bad values fail before a corpus is read (or text8 downloaded)
        check_settings(model, dim, window, negative, sample, epochs, alpha, min_alpha, seed,
                       optimizer, kernel, keep_unk, lr_schedule, loss)
        out_dir = Path(out) if out is not None else Path("runs") / f"{model}-{_corpus_name(corpus)}"
        _check_model_dir_path(out_dir)
        vocab, ids = load_corpus(corpus, vocab_size=vocab_size, min_count=min_count,
                                 data_dir=data_dir, progress=progress)
        kwargs = dict(vocab=vocab, model=model, dim=dim, window=window, negative=negative,
                      sample=sample, epochs=epochs, alpha=alpha, min_alpha=min_alpha, seed=seed,
                      optimizer=optimizer, kernel=kernel, keep_unk=keep_unk,
                      lr_schedule=lr_schedule, loss=loss)
        source = corpus if corpus is not None else "text8"
        extra = {"corpus": str(Path(source).resolve()) if Path(source).exists() else str(source),
                 "vocab_size": vocab_size, "min_count": min_count}
    try:
        result = run_train(ids, threads=threads, progress=progress, out_dir=out_dir,
                           extra_settings=extra, **kwargs)
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
