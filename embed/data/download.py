"""Download text8: resumable (HTTP Range), size-checked, zip-verified, moved into place atomically.

Bytes arrive in ``<name>.part``; only a complete, verified file is renamed to its final name, so
the final name never holds a partial download. An interrupted download leaves the ``.part`` file,
and the next call asks the server for the rest with ``Range: bytes=<have>-``. A write the OS
refuses (disk full, read-only) is one error line that keeps what was fetched: the ``.part`` file,
or the verified zip when unpacking fails, which stays until its unpacked file is complete.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path

from embed.atomic import atomic_path, cannot_write
from embed.errors import EmbedError
from embed.paths import data_dir as default_data_dir

TEXT8_URL = "http://mattmahoney.net/dc/text8.zip"
TEXT8_ZIP_BYTES = 31_344_016
TEXT8_BYTES = 100_000_000
TEXT8_MEMBER = "text8"

_BLOCK = 1 << 16


def _human(n: int) -> str:
    return f"{n:,} bytes"


class Unreachable(EmbedError):
    """The download server could not be reached (no network, a firewall, a dead mirror)."""


def _open(url: str, start: int, timeout: float):
    """Open ``url`` asking for bytes from ``start`` on; map network failures to EmbedError."""
    headers = {"User-Agent": "embed-downloader/0.1", "Accept-Encoding": "identity"}
    if start:
        headers["Range"] = f"bytes={start}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                      timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and start:
            e.close()
            return None  # our .part is at or past the end: caller restarts from zero
        e.close()
        raise EmbedError(f"download failed: HTTP {e.code} {e.reason} from {url}") from None
    except urllib.error.URLError as e:
        reason = getattr(e.reason, "strerror", None) or e.reason
        raise Unreachable(f"cannot reach {url}: {reason} (offline?)") from None
    except (socket.timeout, TimeoutError):
        raise Unreachable(f"cannot reach {url}: timed out after {timeout:g} s") from None
    except (http.client.HTTPException, OSError) as e:
        raise Unreachable(f"cannot reach {url}: {e}") from None
    except ValueError as e:  # malformed URL
        raise EmbedError(f"bad download URL {url!r}: {e}") from None


def _total_size(resp, start: int) -> tuple[int | None, bool]:
    """(full size of the resource if known, whether the response resumes at ``start``)."""
    if resp.status == 206:
        crange = resp.headers.get("Content-Range", "")
        # "bytes 100-999/1000"
        try:
            span, total = crange.split(" ", 1)[1].split("/")
            first = int(span.split("-")[0])
        except (IndexError, ValueError):
            raise EmbedError(f"server sent a bad Content-Range header: {crange!r}") from None
        if first != start:
            raise EmbedError(f"server resumed at byte {first}, asked for {start}")
        return (int(total) if total.strip() != "*" else None), True
    length = resp.headers.get("Content-Length")
    return (int(length) if length and length.isdigit() else None), False


def download(url: str, dest: str | os.PathLike, expected_size: int | None = None, *,
             progress: bool = True, retries: int = 2, timeout: float = 30.0) -> Path:
    """Fetch ``url`` into ``dest``; return ``dest``. Resumes from ``dest.part`` when present.

    ``expected_size`` (bytes), if given, is checked against the server's announced size before
    the body is read and against the finished file. A cut connection is resumed up to
    ``retries`` times within this call; after that the ``.part`` file stays for the next call.
    Raises EmbedError (one line) on network errors, HTTP errors, HTML pages and size mismatches.
    """
    _check_url(url)
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise cannot_write(dest, e) from None
    part = dest.with_name(dest.name + ".part")
    attempt = 0
    while True:
        try:
            _fetch_into(url, part, expected_size, progress=progress, timeout=timeout)
            break
        except _Interrupted as cut:
            attempt += 1
            if attempt > retries:
                raise EmbedError(f"download interrupted after {_human(cut.have)}"
                                 + (f" of {_human(cut.total)}" if cut.total else "")
                                 + f" ({cut.why}); run the command again to resume") from None
    size = part.stat().st_size
    if expected_size is not None and size != expected_size:
        part.unlink()
        raise EmbedError(f"downloaded {_human(size)} from {url}, expected "
                         f"{_human(expected_size)}")
    try:
        os.replace(part, dest)
    except OSError as e:
        raise cannot_write(dest, e) from None
    return dest


def _check_url(url: str) -> None:
    """Only http(s) URLs with a host: resuming needs HTTP Range requests."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as e:
        raise EmbedError(f"bad download URL {url!r}: {e}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise EmbedError(f"bad download URL {url!r}: give an http:// or https:// address")


class _Interrupted(Exception):
    def __init__(self, have: int, total: int | None, why: str):
        super().__init__(why)
        self.have, self.total, self.why = have, total, why


def _fetch_into(url: str, part: Path, expected_size: int | None, *, progress: bool,
                timeout: float) -> None:
    have = part.stat().st_size if part.exists() else 0
    if expected_size is not None and have > expected_size:
        part.unlink()  # cannot be a prefix of the right file
        have = 0
    if expected_size is not None and have == expected_size:
        return
    resp = _open(url, have, timeout)
    if resp is None:  # 416: the .part does not fit this resource; start over
        part.unlink()
        have = 0
        resp = _open(url, 0, timeout)
    with resp:
        ctype = resp.headers.get("Content-Type", "")
        if "html" in ctype.lower():
            raise EmbedError(f"{url} returned a web page ({ctype.split(';')[0]}), not the file")
        total, resumed = _total_size(resp, have)
        if not resumed:
            have = 0  # server ignored Range (or nothing to resume): write from the start
        if expected_size is not None and total is not None and total != expected_size:
            raise EmbedError(f"{url} offers {_human(total)}, expected {_human(expected_size)}")
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                       desc=f"downloading {part.name[:-5]}", dynamic_ncols=True)
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while True:
                    try:
                        block = resp.read(_BLOCK)
                    except http.client.IncompleteRead as e:
                        out.write(e.partial)
                        have += len(e.partial)
                        raise _Interrupted(have, total, "connection closed early") from None
                    except (OSError, http.client.HTTPException) as e:
                        raise _Interrupted(have, total, f"connection lost: {e}") from None
                    if not block:
                        break
                    out.write(block)
                    have += len(block)
                    if bar is not None:
                        bar.update(len(block))
        except OSError as e:  # writing the .part (read errors are _Interrupted): disk full, ...
            kept = part.stat().st_size if part.exists() else 0
            raise EmbedError(str(cannot_write(part, e)) + (
                f"; the {_human(kept)} downloaded so far are kept: make room and run the "
                f"command again to resume" if kept else "")) from None
        finally:
            if bar is not None:
                bar.close()
        if total is not None and have < total:
            raise _Interrupted(have, total, "connection closed early")
        if total is not None and have > total:
            part.unlink()
            raise EmbedError(f"{url} sent {_human(have)}, more than the {_human(total)} announced")


class _Damaged(EmbedError):
    """The archive itself is bad: keeping it would only fail again."""


def _check_zip(path: Path, url: str) -> zipfile.ZipInfo:
    """The one file inside the zip to unpack (``text8`` if present); _Damaged if unusable."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        raise _Damaged(f"{url} returned a web page, not a zip archive")
    if not zipfile.is_zipfile(path):
        raise _Damaged(f"the file from {url} is not a zip archive (truncated or wrong file)")
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
    except zipfile.BadZipFile as e:
        raise _Damaged(f"the file from {url} is a damaged zip archive: {e}") from None
    named = [m for m in members if Path(m.filename).name == TEXT8_MEMBER]
    if named:
        return named[0]
    if len(members) == 1:
        return members[0]
    raise _Damaged(f"the zip from {url} holds {len(members)} files and none named "
                   f"{TEXT8_MEMBER!r}")


def _unpack(zip_path: Path, member: zipfile.ZipInfo, final: Path, url: str) -> None:
    """Unpack ``member`` to ``final`` (atomically). Damage found inside the archive (a CRC
    error, a cut stream) raises _Damaged; a write the OS refuses (disk full) raises a plain
    EmbedError, and the zip stays for the next call to unpack without fetching it again."""
    try:
        with zipfile.ZipFile(zip_path) as zf, zf.open(member) as src, atomic_path(final) as tmp:
            try:
                with open(tmp, "wb") as out:
                    while block := _read_member(src, zip_path, url):
                        out.write(block)
            except OSError as e:  # only writes: _read_member turned read errors into EmbedError
                raise EmbedError(f"{cannot_write(final, e)}; {zip_path} is kept: make room "
                                 f"and run the command again to unpack it") from None
    except (zipfile.BadZipFile, EOFError, zlib.error) as e:
        raise _Damaged(f"cannot unpack the zip from {url}: {e}") from None
    except OSError as e:  # opening the zip
        raise EmbedError(f"cannot read {zip_path}: {e.strerror or e}") from None


def _read_member(src, zip_path: Path, url: str) -> bytes:
    try:
        return src.read(1 << 20)
    except (zipfile.BadZipFile, EOFError, zlib.error) as e:
        raise _Damaged(f"cannot unpack the zip from {url}: {e}") from None
    except OSError as e:
        raise EmbedError(f"cannot read {zip_path}: {e.strerror or e}") from None


def ensure_text8(data_dir: str | os.PathLike | None = None, url: str | None = None,
                 progress: bool = True, *, expected_size: int | None = None,
                 retries: int = 2, timeout: float = 30.0) -> Path:
    """Return the path of the unpacked ``text8`` file, fetching it first if it is missing.

    Downloads ``url`` (default: the text8.zip published with word2vec, checked to be
    31,344,016 bytes; another URL is size-checked only when ``expected_size`` is given) into
    ``<data dir>/text8.zip``, verifies it is a zip, and unpacks its ``text8`` member (or its
    only file) to ``<data dir>/text8``. Nothing is downloaded when ``text8`` already exists.
    """
    root = default_data_dir(data_dir)
    final = root / TEXT8_MEMBER
    if final.is_file() and final.stat().st_size > 0:
        return final
    if url is None:
        url = TEXT8_URL
        if expected_size is None:
            expected_size = TEXT8_ZIP_BYTES
    _check_url(url)  # before creating anything
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EmbedError(f"cannot create data directory {root}: {e.strerror}") from None
    zip_path = root / "text8.zip"
    if zip_path.is_file() and expected_size is not None \
            and zip_path.stat().st_size != expected_size:
        zip_path.unlink()  # a zip of the wrong size from an earlier source
    if not zip_path.is_file():
        try:
            download(url, zip_path, expected_size, progress=progress, retries=retries,
                     timeout=timeout)
        except Unreachable as e:
            raise EmbedError(f"{e}; to go on: train on your own text (embed train FILE), "
                             f"download from a mirror (--url URL), or put text8 in {root}/"
                             ) from None
    try:
        member = _check_zip(zip_path, url)
        if url == TEXT8_URL and member.file_size != TEXT8_BYTES:
            raise _Damaged(f"the zip from {url} holds {_human(member.file_size)} of text8, "
                           f"expected {_human(TEXT8_BYTES)}")
        _unpack(zip_path, member, final, url)
    except EmbedError as e:
        # A bad archive (even one whose damage only shows while unpacking, e.g. a CRC error)
        # must not stay under its final name: the next call would reuse it instead of fetching.
        # A good one that could not be unpacked (disk full) stays, to be unpacked next time.
        if isinstance(e, _Damaged):
            with contextlib.suppress(OSError):
                zip_path.unlink()
        raise
    # text8 is complete under its final name: only now is the verified zip no longer needed.
    with contextlib.suppress(OSError):
        zip_path.unlink()
    return final
