"""The `embed` command line.

Each command lives in the module that owns its feature; this group only knows where to find it,
so `embed --help` stays fast and a broken optional part cannot break the others.
"""
from __future__ import annotations

import importlib
import sys

import click

from embed.errors import EmbedError

# command name -> (module, attribute, one-line help shown by `embed --help`)
COMMANDS = {
    "download": ("embed.data.download_cli", "download", "Download text8 (resumable, verified)."),
    "vocab": ("embed.data.cli", "vocab", "Count a corpus and write its vocabulary."),
    "batches": ("embed.data.cli", "batches", "Print decoded skip-gram or CBOW teaching batches."),
    "phrases": ("embed.phrases.cli", "phrases", "Join frequent word pairs (new_york) in a corpus."),
    "train": ("embed.w2v.cli", "train", "Train skip-gram or CBOW word vectors."),
    "similar": ("embed.vectors_cli", "similar", "Nearest words to one or more words."),
    "analogy": ("embed.vectors_cli", "analogy", "A is to B as C is to ?"),
    "similarity": ("embed.vectors_cli", "similarity", "Cosine similarity of two words."),
    "evaluate": ("embed.vectors_cli", "evaluate", "Analogy accuracy and word-pair correlations."),
    "export": ("embed.vectors_cli", "export", "Write vectors as word2vec text/binary, gensim or npy."),
    "query": ("embed.vectors_cli", "query", "Interactive nearest-word and analogy queries."),
    "plot": ("embed.vectors_cli", "plot", "Plot the loss curve or a 2-D map of words."),
    "tune": ("embed.tune.cli", "tune", "Search training settings (random/grid/bayes/evolution)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, help_) for name, (_, _, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="embed")
def cli():
    """Train, query, evaluate and tune word embeddings."""


def main(argv=None):
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.UsageError as e:
        # one line, as every other user error; the hint names the help that explains more
        cmd = e.ctx.command_path if e.ctx is not None else "embed"
        click.echo(f"error: {e.format_message()} (see: {cmd} --help)", err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        click.echo(f"error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except EmbedError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(0)
