"""A corpus with its phrases joined, kept for the next run (``embed train --phrases N``).

The joined text goes to ``<data dir>/cache/<name>.<path key>-<settings key>.phrased.txt``
(never beside the corpus: a directory corpus would read it back as one of its files), with a
``.json`` manifest of what it was made from: each corpus file's stat and SHA-256. It is reused
while every file has the same stat, or, when a stat changed, the same bytes; otherwise it is
made again. The trainer then encodes it like any corpus (with its own content-keyed cache).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from embed.atomic import write_text
from embed.data.corpus import STDIN, FileDigest, corpus_files, hash_file
from embed.errors import EmbedError
from embed.paths import data_dir as default_data_dir
from embed.phrases.pipeline import apply_phrases_to_file, settings_key
from embed.phrases.scoring import PhraseSettings


def _digests(source) -> list[FileDigest]:
    out = []
    for f in corpus_files(source):
        st = f.stat()
        out.append(FileDigest(str(f.resolve()), *FileDigest.stat_of(st), hash_file(f)))
    return out


def _still_valid(manifest: Path, source) -> bool:
    try:
        saved = [FileDigest(**d) for d in json.loads(manifest.read_text())["files"]]
    except (OSError, ValueError, TypeError, KeyError):
        return False
    files = corpus_files(source)
    if [str(f.resolve()) for f in files] != [d.path for d in saved]:
        return False
    return all(d.same_stat(f.stat()) or hash_file(f) == d.sha256 for f, d in zip(files, saved))


def phrased_file(source, *, passes: int, settings: PhraseSettings = PhraseSettings(),
                 tokens: str = "words", data_dir=None, progress: bool = True) -> Path:
    """The cached joined text of ``source`` after ``passes`` phrase passes (made if needed)."""
    if isinstance(source, str) and source == STDIN:
        raise EmbedError("--phrases needs the corpus as a file or directory: standard input "
                         "can be read only once (run `embed phrases - -o FILE` first)")
    path = Path(source).resolve()
    where = default_data_dir(data_dir) / "cache"
    key = settings_key(settings, passes, tokens)
    stem = f"{path.name}.{hashlib.sha1(str(path).encode()).hexdigest()[:12]}-{key}.phrased"
    out, manifest = where / f"{stem}.txt", where / f"{stem}.json"
    if out.is_file() and manifest.is_file() and _still_valid(manifest, source):
        return out
    before = _digests(source)
    apply_phrases_to_file(source, out, passes=passes, min_count=settings.min_count,
                          threshold=settings.threshold, scoring=settings.scoring,
                          delimiter=settings.delimiter, tokens=tokens, progress=progress)
    write_text(manifest, json.dumps({"files": [asdict(d) for d in before]}, indent=1))
    return out
