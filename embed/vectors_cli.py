"""`embed similar | analogy | similarity | evaluate | export | query | plot`.

MODEL is a model directory written by `embed train` or a vectors file (word2vec text or binary,
gensim native, or .npy with its .vocab.tsv); see `embed.vectors.load_vectors`.
"""
from __future__ import annotations

import contextlib
import json
import sys
import warnings
from pathlib import Path

import click

from embed.atomic import cannot_write
from embed.errors import EmbedError

# embed.vectors.FORMATS, spelled out here so that `--help` does not import numba (a test checks
# that the two agree)
FORMATS = ("word2vec", "word2vec-binary", "gensim", "npy")
_FORMAT_HELP = ("word2vec (text), word2vec-binary, gensim (a pickle: it can run code, so only "
                "for files you trust; .kv/.model names are read so too), npy, or auto (told "
                "from the content; any other pickle is refused).")

model_arg = click.argument("model", type=click.Path(path_type=Path))
limit_opt = click.option("--limit", type=click.IntRange(min=1), default=None,
                         help="Read only the first N (most frequent) words.")
topn_opt = click.option("--topn", "-n", type=click.IntRange(min=1), default=10,
                        show_default=True, help="Number of answers.")
format_opt = click.option("--format", "fmt", type=click.Choice(FORMATS + ("auto",)),
                          default="auto", show_default=True,
                          help="How to read MODEL when it is a file: " + _FORMAT_HELP)


def _load(model: Path, limit: int | None = None, fmt: str = "auto"):
    """The vectors of MODEL; unpickling a declared gensim file says first, on one stderr line,
    that pickles can run code."""
    from embed.vectors import PickleWarning, load_vectors

    shown = warnings.showwarning

    def one_line(message, category, *args, **kwargs):
        if issubclass(category, PickleWarning):
            click.echo(f"warning: {message}", err=True)
        else:
            shown(message, category, *args, **kwargs)

    with warnings.catch_warnings():  # restores showwarning and the filters on the way out
        warnings.simplefilter("always", PickleWarning)
        warnings.showwarning = one_line
        return load_vectors(model, limit=limit, format=fmt)


@contextlib.contextmanager
def _writing(output: Path):
    """An output that cannot be written (its folder is a file, no permission, disk full) is a
    user error, one line; the writers already leave nothing under the final name."""
    try:
        yield
    except OSError as e:
        raise cannot_write(output, e) from None


def _print_answers(answers) -> None:
    width = max((len(w) for w, _ in answers), default=0)
    for word, sim in answers:
        click.echo(f"{word:<{width}}  {sim:.4f}")


@click.command()
@model_arg
@click.argument("words", nargs=-1, required=True)
@topn_opt
@click.option("--combine", is_flag=True,
              help="One query for the mean of all the words instead of one query per word.")
@limit_opt
@format_opt
def similar(model, words, topn, combine, limit, fmt):
    """Nearest words (by cosine) to each WORD."""
    kv = _load(model, limit, fmt)
    if combine:
        _print_answers(kv.most_similar(positive=list(words), topn=topn))
        return
    answers = kv.most_similar_batch(list(words), topn=topn)
    for i, (word, answer) in enumerate(zip(words, answers)):
        if len(words) > 1:
            click.echo(("\n" if i else "") + f"{word}:")
        _print_answers(answer)


@click.command()
@model_arg
@click.argument("a")
@click.argument("b")
@click.argument("c")
@topn_opt
@click.option("--cosmul", is_flag=True, help="Use 3CosMul instead of 3CosAdd.")
@limit_opt
@format_opt
def analogy(model, a, b, c, topn, cosmul, limit, fmt):
    """A is to B as C is to ? (answers for B - A + C)."""
    kv = _load(model, limit, fmt)
    method = kv.most_similar_cosmul if cosmul else kv.most_similar
    _print_answers(method(positive=[b, c], negative=[a], topn=topn))


@click.command()
@model_arg
@click.argument("w1")
@click.argument("w2")
@limit_opt
@format_opt
def similarity(model, w1, w2, limit, fmt):
    """Cosine similarity of W1 and W2."""
    click.echo(f"{_load(model, limit, fmt).similarity(w1, w2):.4f}")


@click.command()
@model_arg
@click.option("--analogies", type=click.Path(path_type=Path), default=None,
              help="Analogy questions (questions-words format). Default: gensim's "
                   "questions-words.txt.")
@click.option("--pairs", type=click.Path(path_type=Path), multiple=True,
              help="Word-pair file (w1 w2 score); repeat for several. Default: gensim's "
                   "wordsim353.tsv and simlex999.txt.")
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=30_000,
              show_default=True, help="Analogies use only the N most frequent words.")
@click.option("--case-sensitive", is_flag=True, help="Do not fold case when matching words.")
@click.option("--no-analogies", is_flag=True, help="Skip the analogy test.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@limit_opt
@format_opt
def evaluate(model, analogies, pairs, restrict_vocab, case_sensitive, no_analogies, as_json,
             limit, fmt):
    """Analogy accuracy and word-pair correlations, scored as gensim scores them."""
    from embed.evaluate import default_pair_files, evaluate_analogies, evaluate_pairs

    kv = _load(model, limit, fmt)
    fold = not case_sensitive
    result = {"model": str(model), "words": len(kv)}
    if not no_analogies:
        result["analogies"] = evaluate_analogies(kv, analogies, restrict_vocab=restrict_vocab,
                                                 case_insensitive=fold)
    result["pairs"] = [evaluate_pairs(kv, p, case_insensitive=fold)
                       for p in (pairs or default_pair_files())]
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    if "analogies" in result:
        r = result["analogies"]
        click.echo(f"analogies: {Path(r['file']).name} (3CosAdd over the "
                   f"{min(restrict_vocab, len(kv)):,} most frequent words)")
        width = max([len(s["name"]) for s in r["sections"]] + [5])
        for s in r["sections"]:
            click.echo(f"  {s['name']:<{width}}  {100 * s['accuracy']:5.1f}%  "
                       f"{s['correct']:>5}/{s['total']:<5}")
        click.echo(f"  {'total':<{width}}  {100 * r['accuracy']:5.1f}%  "
                   f"{r['correct']:>5}/{r['total']:<5}  ({100 * r['oov']:.1f}% of "
                   f"{r['questions']} questions skipped: unknown words)")
    click.echo("word pairs:")
    for p in result["pairs"]:
        click.echo(f"  {Path(p['file']).name:<18} spearman {p['spearman']:.4f}  "
                   f"pearson {p['pearson']:.4f}  pairs {p['pairs']}  "
                   f"out of vocabulary {100 * p['oov']:.1f}%")


@click.command()
@model_arg
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: from the suffix: .txt/.vec word2vec, "
                   ".bin word2vec-binary, .kv/.model gensim, .npy npy).")
@click.option("--input-format", "in_fmt", type=click.Choice(FORMATS + ("auto",)),
              default="auto", show_default=True,
              help="How to read MODEL when it is a file: " + _FORMAT_HELP)
@limit_opt
def export(model, output, fmt, in_fmt, limit):
    """Write the vectors as word2vec text/binary, a gensim KeyedVectors file or .npy."""
    from embed.vectors.io import format_for, save_vectors

    fmt = format_for(output, fmt)  # a bad output name fails before the model is read
    kv = _load(model, limit, in_fmt)
    with _writing(output):
        save_vectors(kv, output, fmt)
    click.echo(f"wrote {len(kv)} vectors of dimension {kv.dim} to {output} ({fmt})", err=True)


def parse_query(line: str) -> tuple[list[str], list[str]]:
    """``"king - man + woman"`` -> (["king", "woman"], ["man"]). Words without an operator
    between them are added; ``-word`` / ``+word`` also work."""
    positive, negative = [], []
    sign = 1
    pending = None  # an operator still waiting for its word
    for token in line.split():
        if token in ("+", "-"):
            if pending is not None:
                raise EmbedError(f"two operators in a row ({pending} {token}) in {line!r}")
            sign, pending = (1 if token == "+" else -1), token
            continue
        if len(token) > 1 and token[0] in "+-":
            sign, token = (1 if token[0] == "+" else -1), token[1:]
        (positive if sign > 0 else negative).append(token)
        sign, pending = 1, None
    if pending is not None:
        raise EmbedError(f"{line!r} ends with {pending!r}: a word must follow it")
    return positive, negative


@click.command()
@model_arg
@topn_opt
@limit_opt
@format_opt
def query(model, topn, limit, fmt):
    """Interactive queries: one word, or an expression like `king - man + woman`, per line.

    Reads standard input when it is not a terminal; an empty line or `quit` ends."""
    kv = _load(model, limit, fmt)
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(f"{len(kv)} words, dimension {kv.dim}. Type a word or 'a - b + c'; "
                   "an empty line or Ctrl-D ends.", err=True)
    while True:
        try:
            line = input("> ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        if not interactive and line == "":
            break
        line = line.strip()
        if line in ("quit", "exit", ":q") or (interactive and not line):
            break
        if not line or line.startswith("#"):
            continue
        if not interactive:
            click.echo(f"{line}:")
        try:
            positive, negative = parse_query(line)
            if not positive:
                raise EmbedError("a query needs at least one word with a + sign")
            _print_answers(kv.most_similar(positive=positive, negative=negative, topn=topn))
        except EmbedError as e:  # one bad word should not end the session
            click.echo(f"error: {e}", err=True)
        if not interactive:
            click.echo("")


@click.command()
@model_arg
@click.option("--kind", type=click.Choice(["loss", "words"]), required=True,
              help="loss: training loss against words processed (model directory only); "
                   "words: 2-D map of the most frequent words.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PNG file to write.")
@click.option("--method", type=click.Choice(["tsne", "pca"]), default="tsne",
              show_default=True, help="Projection for --kind words.")
@click.option("--top", type=click.IntRange(min=5), default=300, show_default=True,
              help="Number of most frequent words on the map.")
@click.option("--seed", type=int, default=0, show_default=True, help="Projection seed.")
@click.option("--smooth", type=click.IntRange(min=0), default=0,
              help="For --kind loss: also draw the mean of the last N points.")
@format_opt
def plot(model, kind, output, method, top, seed, smooth, fmt):
    """Plot the loss curve or a 2-D map of the most frequent words (PNG)."""
    from embed import modeldir, plots

    if kind == "loss":
        if not modeldir.is_model_dir(model):
            raise EmbedError(f"{model}: the loss curve needs a model directory written by "
                             "`embed train`")
        files = modeldir.load(model, mmap=True, history=True)
        if files.history is None or len(files.history) == 0:
            raise EmbedError(f"{model}: no {modeldir.HISTORY} (no loss was recorded)")
        s = files.settings
        title = "Training loss" + (
            f" — {s.get('model', '')} dim {s.get('dim', '?')} window {s.get('window', '?')}"
            if s else "")
        with _writing(output):
            plots.plot_loss(files.history, output, title=title, smooth=smooth)
    else:
        kv = _load(model, top, fmt)
        with _writing(output):
            plots.plot_words(kv.words, kv.vectors, output, method=method, seed=seed)
    click.echo(f"wrote {output}", err=True)
