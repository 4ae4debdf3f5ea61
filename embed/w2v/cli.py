"""`embed train`: read a corpus, train skip-gram or CBOW, checkpoint, print nearest neighbours."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from embed.cli_options import (CORPUS_HELP, data_dir_option, min_count_option, quiet_option,
                               sentences_option, tokens_option, vocab_size_option)
from embed.errors import EmbedError
from embed.w2v.settings import (KERNELS, LOSSES, MODELS, NEG_SHARE, OPTIMIZER_NAMES, SCHEDULES,
                                TrainSettings, ngram_settings)

# Options a resumed run takes from the model (its settings.json wins); --epochs is allowed: on a
# finished model it starts a new schedule of that many epochs.
FIXED_BY_MODEL = tuple(n for n in TrainSettings.names() if n not in ("epochs", "chunk_words",
                                                                     "cbow_group")) + (
    "vocab_size", "min_count", "max_words", "tokens", "sentences", "phrases", "subwords")
NGRAM_OPTIONS = ("subwords", "minn", "maxn", "bucket")

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


TRAIN_HELP = """Train skip-gram or CBOW word vectors on CORPUS.

CORPUS: """ + CORPUS_HELP + """

\b
Examples:
  embed train                                  # skip-gram on text8 -> runs/skipgram-text8
  embed train my.txt --model cbow --epochs 10 -o runs/cbow
  embed train my.txt --size 300 --iter 10 --phrases 2   # word2vec.c's names; phrases first
  embed train my.txt --hs --negative 0         # hierarchical softmax instead of negatives
  embed train --resume runs/cbow               # continue after Ctrl-C
  embed train --resume runs/cbow --corpus more.txt   # online learning, same vocabulary
  embed train --resume runs/cbow --epochs 2    # two more epochs on a finished model
  embed train my.txt --subwords -o runs/sub    # fastText's model: vectors for any word
"""


@click.command("train", help=TRAIN_HELP)
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
@tokens_option
@sentences_option
@click.option("--phrases", type=click.IntRange(min=0), default=0, show_default=True,
              help="Join frequent collocations (new york -> new_york) in this many passes "
                   "first, as `embed phrases` does with its defaults (cached).")
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
@click.option("--subwords", is_flag=True,
              help="fastText's model: each word is the mean of its own vector and those of its "
                   "character n-grams (--minn 3 --maxn 6 --bucket 2000000), so any word with a "
                   "known n-gram gets a vector.")
@click.option("--minn", type=int, default=None,
              help="Shortest character n-gram (turns --subwords on) [3].")
@click.option("--maxn", type=int, default=None,
              help="Longest character n-gram (turns --subwords on; 0: no n-grams, a word "
                   "model) [6].")
@click.option("--bucket", type=int, default=None,
              help="Rows the n-grams are hashed into (turns --subwords on) [2000000].")
@click.option("--neg-share", type=int, default=NEG_SHARE, show_default=True,
              help="Subword skip-gram: contexts of a word that share one set of negatives (1: "
                   "fastText's own negatives for every pair, slower).")
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
          vocab_size, min_count, max_words, tokens, sentences, phrases, threads, seed, optimizer,
          kernel, loss, keep_unk, hs, subwords, minn, maxn, bucket, neg_share, data_dir, out,
          resume, new_corpus, quiet):
    ctx = click.get_current_context()
    given = {name for name in ctx.params
             if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE}
    if new_corpus is not None and resume is None:
        raise EmbedError("--corpus adds new text to a model: use it with --resume MODEL_DIR")
    with contextlib.ExitStack() as stack:   # holds a resumed model directory's lock
        if resume is not None:
            out_dir, text, kwargs = _resume(stack, ctx.params, given)
        else:
            out_dir, text, kwargs = _fresh(ctx.params)
        _run(text, out_dir, kwargs, threads, quiet)


def _ngram_settings(o: dict) -> dict:
    return ngram_settings(o["subwords"], o["minn"], o["maxn"], o["bucket"])


def _fresh(o: dict):
    """A new model: settings checked before the corpus is read (or text8 downloaded)."""
    from embed.w2v import pipeline
    from embed.w2v.checkpoint import check_out_dir

    values = {k: o[k] for k in TrainSettings.names() if k in o and k not in NGRAM_OPTIONS}
    settings = TrainSettings(**values, **_ngram_settings(o))
    out_dir = (Path(o["out"]) if o["out"] is not None
               else Path("runs") / f"{o['model']}-{_corpus_name(o['corpus'])}")
    check_out_dir(out_dir)
    text = pipeline.read_corpus(o["corpus"], vocab_size=o["vocab_size"],
                                min_count=o["min_count"], tokens=o["tokens"],
                                sentences=o["sentences"], phrases=o["phrases"],
                                data_dir=o["data_dir"], progress=not o["quiet"],
                                max_words=o["max_words"])
    if settings.subwords:   # the n-gram table is large: say how large, refuse if it cannot fit
        from embed.w2v.subword_tables import memory_line

        line = memory_line(text.vocab, settings)
        if not o["quiet"]:
            click.echo(line, err=True)
    extra = {"corpus": text.source, "vocab_size": o["vocab_size"], "min_count": o["min_count"],
             **text.reading, **({"max_words": o["max_words"]} if o["max_words"] else {})}
    return out_dir, text, dict(vocab=text.vocab, settings=settings, extra_settings=extra)


def _resume(stack, o: dict, given: set):
    """A saved model and the text it continues on, its directory locked before it is read."""
    from embed.lock import writer_lock
    from embed.w2v import pipeline
    from embed.w2v.checkpoint import check_out_dir

    fixed = [f"--{name.replace('_', '-')}" for name in FIXED_BY_MODEL if name in given]
    ngram_flags = [f"--{name}" for name in NGRAM_OPTIONS if name in given]
    if ngram_flags:
        _refuse_ngram_flags(o["resume"], ngram_flags)
    if fixed:
        raise EmbedError(f"--resume trains with the model's saved settings; drop "
                         f"{', '.join(fixed)}")
    corpus, new_corpus = o["corpus"], o["new_corpus"]
    if corpus is not None and new_corpus is not None and corpus != new_corpus:
        raise EmbedError(f"two corpora given ({corpus} and --corpus {new_corpus}); give the "
                         "new text once")
    out_dir = Path(o["out"]) if o["out"] is not None else Path(o["resume"])
    check_out_dir(out_dir)
    stack.enter_context(writer_lock(out_dir, what="embed train"))
    from embed.w2v.subword_tables import check_resume_memory

    line = check_resume_memory(o["resume"])   # before 800 MB of n-gram rows are read
    if line and not o["quiet"]:
        click.echo(line, err=True)
    previous = pipeline.load_for_resume(o["resume"])
    text = pipeline.resume_corpus(previous, o["resume"], new_corpus or corpus,
                                  data_dir=o["data_dir"], progress=not o["quiet"])
    kwargs = dict(resume=previous, extra_settings={"corpus": text.source})
    if "epochs" in given:
        kwargs["epochs"] = o["epochs"]
    return out_dir, text, kwargs


def _refuse_ngram_flags(resume, flags: list[str]) -> None:
    """n-gram options on --resume: a word model cannot become a subword model (its n-gram rows
    would start untrained halfway through), and a subword model keeps its own."""
    from embed import modeldir

    if not modeldir.is_model_dir(resume):
        return      # not a model: the loader says so
    saved = modeldir.load_settings(resume)
    maxn = saved.get("maxn", 0)
    if isinstance(maxn, int) and maxn > 0:
        raise EmbedError(f"--resume trains with the model's saved settings (n-grams of "
                         f"{saved.get('minn')}..{maxn} characters, bucket "
                         f"{saved.get('bucket', 0):,}); drop {', '.join(flags)}")
    raise EmbedError(f"{resume} is a word model: {', '.join(flags)} cannot be added on "
                     "--resume; train a new model with --subwords")


def _run(text, out_dir: Path, kwargs: dict, threads, quiet: bool) -> None:
    from embed.w2v.train import TrainingInterrupted
    from embed.w2v.train import train as run_train

    try:
        result = run_train(text.ids, ends=text.ends, threads=threads, progress=not quiet,
                           out_dir=out_dir, notify=_warn, **kwargs)
    except TrainingInterrupted as e:
        st = e.model.state or {}
        click.echo(f"interrupted: checkpoint saved in {out_dir} at epoch {st.get('epoch', 0) + 1}"
                   f", chunk {st.get('chunk', 0)}; continue with: embed train --resume "
                   f"{out_dir}", err=True)
        sys.exit(130)
    except MemoryError as e:
        raise EmbedError(f"out of memory: {e} (lower --dim, --negative, --window or "
                         "--vocab-size)") from None
    s = result.settings
    kind = (f"subword model (n-grams of {s['minn']}..{s['maxn']} characters in "
            f"{s['bucket']:,} buckets, " if s.get("maxn") else "model (")
    click.echo(f"saved {s['model']} {kind}{len(result.vocab):,} words, dim {result.dim}) to "
               f"{out_dir}")
    if not quiet:
        click.echo("nearest neighbours:")
        for line in _neighbours(result):
            click.echo(line)
