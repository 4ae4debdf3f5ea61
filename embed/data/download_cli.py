"""`embed download`: fetch and unpack text8 into the data directory."""
from __future__ import annotations

import click

from embed.cli_options import data_dir_option


@click.command()
@click.argument("name", required=False, default="text8", type=click.Choice(["text8"]))
@click.option("--url", help="Download from this URL instead of the word2vec text8.zip.")
@click.option("--expect-bytes", type=click.IntRange(min=1), default=None,
              help="Size the zip at --url must have (text8.zip's own size is always checked).")
@data_dir_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def download(name, url, expect_bytes, data_dir, quiet):
    """Download NAME (text8), verify it and unpack it; nothing happens if it is already there."""
    from embed.data.download import ensure_text8

    path = ensure_text8(data_dir, url=url, progress=not quiet, expected_size=expect_bytes)
    click.echo(f"{name}: {path} ({path.stat().st_size:,} bytes)")
