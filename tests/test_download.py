"""Download: a local HTTP server on 127.0.0.1 serves a zip this test builds."""
import io
import json
import socket
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from faults import fail_writes, in_tmpfs

from embed.data.download import download, ensure_text8
from embed.errors import EmbedError

TEXT = b"anarchism originated as a term of abuse " * 2000


def make_zip(name="text8", data=TEXT) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


class Server:
    """Serves ``self.body`` at any path; ``cut_first`` requests send half the body then close."""

    def __init__(self):
        self.body = make_zip()
        self.content_type = "application/zip"
        self.cut_first = 0
        self.status = 200
        self.ignore_range = False
        self.requests = []  # (path, Range header or None)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                outer.requests.append((self.path, rng))
                if outer.status != 200:
                    self.send_error(outer.status)
                    return
                body, start = outer.body, 0
                if rng and not outer.ignore_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", outer.content_type)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if outer.cut_first > 0:
                    outer.cut_first -= 1
                    self.wfile.write(body[start:start + (len(body) - start) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/text8.zip"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def test_download_unpacks_text8_and_second_call_does_not_download(server, tmp_path):
    path = ensure_text8(tmp_path, url=server.url, progress=False)
    assert path == tmp_path / "text8"
    assert path.read_bytes() == TEXT
    assert len(server.requests) == 1
    assert ensure_text8(tmp_path, url=server.url, progress=False) == path
    assert len(server.requests) == 1  # found on disk: nothing fetched
    assert not list(tmp_path.glob("*.part"))


def test_cut_connection_keeps_part_and_next_call_resumes_with_range(server, tmp_path):
    server.cut_first = 1
    with pytest.raises(EmbedError, match="interrupted.*run the command again"):
        ensure_text8(tmp_path, url=server.url, progress=False, retries=0)
    assert not (tmp_path / "text8").exists() and not (tmp_path / "text8.zip").exists()
    part = tmp_path / "text8.zip.part"
    half = len(server.body) // 2
    assert part.stat().st_size == half
    path = ensure_text8(tmp_path, url=server.url, progress=False, retries=0)
    assert server.requests[-1][1] == f"bytes={half}-"
    assert path.read_bytes() == TEXT
    assert not part.exists()


def test_cut_connection_is_resumed_within_one_call(server, tmp_path):
    server.cut_first = 2
    ensure_text8(tmp_path, url=server.url, progress=False, retries=2)
    assert (tmp_path / "text8").read_bytes() == TEXT
    assert [r for _, r in server.requests][0] is None
    assert all(r and r.startswith("bytes=") for _, r in server.requests[1:])
    assert len(server.requests) == 3


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    (tmp_path / "text8.zip.part").write_bytes(b"stale bytes from elsewhere")
    server.ignore_range = True
    assert ensure_text8(tmp_path, url=server.url, progress=False).read_bytes() == TEXT
    assert server.requests[0][1] == "bytes=26-"  # asked to resume, got the whole file


def test_wrong_size_is_refused_before_download(server, tmp_path):
    with pytest.raises(EmbedError, match=f"offers {len(server.body):,} bytes, expected 1,234"):
        ensure_text8(tmp_path, url=server.url, progress=False, expected_size=1234)
    assert list(tmp_path.iterdir()) == []


def test_html_error_page_is_refused(server, tmp_path):
    server.body = b"<!DOCTYPE html><html><body>Not here</body></html>"
    server.content_type = "text/html; charset=utf-8"
    with pytest.raises(EmbedError, match="web page"):
        ensure_text8(tmp_path, url=server.url, progress=False)
    assert not (tmp_path / "text8").exists() and not (tmp_path / "text8.zip").exists()


def test_html_page_sent_as_binary_is_refused(server, tmp_path):
    server.body = b"<html><body>captive portal</body></html>"
    server.content_type = "application/octet-stream"
    with pytest.raises(EmbedError, match="web page"):
        ensure_text8(tmp_path, url=server.url, progress=False)
    assert not (tmp_path / "text8").exists() and not (tmp_path / "text8.zip").exists()


def test_not_a_zip_and_truncated_zip_are_refused(server, tmp_path):
    server.body = b"\x00\x01 definitely not a zip" * 50
    with pytest.raises(EmbedError, match="not a zip"):
        ensure_text8(tmp_path / "a", url=server.url, progress=False)
    assert not (tmp_path / "a" / "text8").exists()
    assert not (tmp_path / "a" / "text8.zip").exists()
    server.body = make_zip()[:-40]  # announced and sent in full, but the archive is cut
    with pytest.raises(EmbedError, match="zip"):
        ensure_text8(tmp_path / "b", url=server.url, progress=False)
    assert not (tmp_path / "b" / "text8").exists()


def test_http_error_status(server, tmp_path):
    server.status = 404
    with pytest.raises(EmbedError, match="HTTP 404"):
        ensure_text8(tmp_path, url=server.url, progress=False)
    assert not (tmp_path / "text8").exists()


def test_offline_is_one_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EmbedError, match="cannot reach") as e:
        ensure_text8(tmp_path, url=f"http://127.0.0.1:{port}/text8.zip", progress=False)
    assert not (tmp_path / "text8").exists() and not (tmp_path / "text8.zip").exists()
    # the three ways forward (issue 10)
    assert "embed train FILE" in str(e.value) and "--url URL" in str(e.value)
    assert f"put text8 in {tmp_path}/" in str(e.value) and "\n" not in str(e.value)


def test_low_level_download_checks_final_size(server, tmp_path):
    dest = download(server.url, tmp_path / "x.zip", len(server.body), progress=False)
    assert dest.read_bytes() == server.body
    # A stale, over-long .part cannot be a prefix of the file: it is discarded, not resumed.
    (tmp_path / "y.zip.part").write_bytes(b"z" * (len(server.body) + 10))
    dest = download(server.url, tmp_path / "y.zip", len(server.body), progress=False)
    assert dest.read_bytes() == server.body
    assert server.requests[-1][1] is None


def test_zip_without_text8_uses_its_only_file(server, tmp_path):
    server.body = make_zip(name="corpus.txt", data=b"hello world")
    assert ensure_text8(tmp_path, url=server.url, progress=False).read_bytes() == b"hello world"


def test_ctrl_c_mid_download_leaves_only_the_resumable_part(server, tmp_path, monkeypatch):
    import embed.data.download as dl

    fail_writes(monkeypatch, dl, room=100, error=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        ensure_text8(tmp_path, url=server.url, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text8.zip.part"]
    monkeypatch.undo()
    assert ensure_text8(tmp_path, url=server.url, progress=False).read_bytes() == TEXT
    assert server.requests[-1][1] == "bytes=100-"


def test_zip_damaged_inside_is_removed_and_fetched_again(server, tmp_path):
    good = make_zip()
    body = bytearray(good)
    body[len(body) // 4] ^= 0xFF  # inside the compressed data: the archive's directory is intact
    server.body = bytes(body)
    with pytest.raises(EmbedError, match="cannot unpack"):
        ensure_text8(tmp_path, url=server.url, progress=False)
    assert list(tmp_path.iterdir()) == []  # no damaged text8.zip left to be reused
    server.body = good
    assert ensure_text8(tmp_path, url=server.url, progress=False).read_bytes() == TEXT
    assert len(server.requests) == 2


@pytest.mark.parametrize("url", ["notaurl", "http://[::1", "ftp://example.org/text8.zip",
                                 "http:///text8.zip"])
def test_bad_url_is_one_clear_error(tmp_path, url):
    with pytest.raises(EmbedError, match="bad download URL"):
        ensure_text8(tmp_path / "data", url=url, progress=False)
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("stage, room, message, kept, fetches", [
    ("downloading", 100, "{d}/text8.zip.part: No space left on device; the 100 bytes "
     "downloaded so far are kept: make room and run the command again to resume",
     ["text8.zip.part"], 2),
    ("unpacking", 1000, "{d}/text8: No space left on device; {d}/text8.zip is kept: make room "
     "and run the command again to unpack it", ["text8.zip"], 1),
])
def test_disk_full_is_one_line_and_keeps_what_was_fetched(server, tmp_path, monkeypatch, stage,
                                                          room, message, kept, fetches):
    """Downloading: the .part stays and the next call resumes from it. Unpacking: the verified
    zip stays until text8 is complete, so the next call unpacks it without fetching again."""
    import embed.data.download as dl

    target = ".part" if stage == "downloading" else ".text8."
    fail_writes(monkeypatch, dl, room=room, which=lambda name: target in name)
    with pytest.raises(EmbedError) as e:
        ensure_text8(tmp_path, url=server.url, progress=False)
    assert str(e.value) == "cannot write " + message.format(d=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == kept
    monkeypatch.undo()
    assert ensure_text8(tmp_path, url=server.url, progress=False).read_bytes() == TEXT
    assert len(server.requests) == fetches
    if stage == "downloading":
        assert server.requests[-1][1] == "bytes=100-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text8"]  # the zip cleaned after


IN_TINY_FS = r"""
import json, os, subprocess, sys
d, url = sys.argv[1], sys.argv[2]
runs = []
for size in ("64k", "4m"):  # 64 KiB holds the zip but not the 80 KB text8; 4 MiB holds both
    subprocess.run(["mount", "-o", f"remount,size={size}", d], check=True)
    p = subprocess.run([sys.executable, "-m", "embed", "download", "--url", url, "--data-dir", d,
                        "-q"], capture_output=True, text=True)
    text8 = os.path.join(d, "text8")
    runs.append({"rc": p.returncode, "err": p.stderr, "files": sorted(os.listdir(d)),
                 "size": os.path.getsize(text8) if os.path.exists(text8) else None})
print(json.dumps(runs))
"""


def test_disk_full_on_a_real_tiny_file_system_keeps_the_zip(server, tmp_path):
    """The same on a real 64 KiB tmpfs (mounted in a user and mount namespace of its own)."""
    d = tmp_path / "tiny"
    d.mkdir()
    p = in_tmpfs(d, "64k", [sys.executable, "-c", IN_TINY_FS, d, server.url])
    assert p.returncode == 0, p.stderr
    first, second = json.loads(p.stdout)
    assert first["rc"] == 1 and first["err"] == (
        f"error: cannot write {d / 'text8'}: No space left on device; {d / 'text8.zip'} is "
        f"kept: make room and run the command again to unpack it\n")
    assert first["files"] == ["text8.zip"]
    assert second["rc"] == 0 and second["files"] == ["text8"] and second["size"] == len(TEXT)
    assert len(server.requests) == 1
