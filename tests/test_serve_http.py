"""The HTTP side of BootServer (what iPXE fetches), against curl on 127.0.0.1."""
from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from lfsbuild.netboot.serve import BootServer

pytestmark = pytest.mark.needs("curl", package="curl")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("httproot")
    (root / "boot").mkdir()
    (root / "boot" / "vmlinuz").write_bytes(bytes(range(256)) * 4000)
    (root / "empty").write_bytes(b"")
    (root / "escape").symlink_to("/etc/passwd")
    return root


@pytest.fixture(scope="module")
def port(root: Path):
    with BootServer(root, "127.0.0.1", 0, 0) as srv:
        yield srv.http_port


def curl(port: int, path: str, *extra: str) -> tuple[int, bytes]:
    """(HTTP status, body) as curl sees it; --path-as-is keeps '..' on the wire."""
    r = subprocess.run(["curl", "-s", "--path-as-is", "-o", "-", "-w", "\n%{http_code}",
                        *extra, f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, timeout=30)
    body, _, status = r.stdout.rpartition(b"\n")
    return int(status), body


def test_get_whole_file(port, root):
    assert curl(port, "/boot/vmlinuz") == (200, (root / "boot" / "vmlinuz").read_bytes())


def test_get_empty_file(port):
    assert curl(port, "/empty") == (200, b"")


def test_head_has_length_and_no_body(port):
    r = subprocess.run(["curl", "-sI", f"http://127.0.0.1:{port}/boot/vmlinuz"],
                       capture_output=True, text=True, timeout=30)
    assert "200" in r.stdout.splitlines()[0]
    assert "Content-Length: 1024000" in r.stdout


@pytest.mark.parametrize("spec,start,end", [("10-19", 10, 20), ("1023990-", 1023990, None),
                                             ("-5", -5, None), ("0-99999999", 0, None)])
def test_range(port, root, spec, start, end):
    data = (root / "boot" / "vmlinuz").read_bytes()
    assert curl(port, "/boot/vmlinuz", "-r", spec) == (206, data[start:end])


def headers(port: int, path: str, *extra: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of one GET with curl."""
    r = subprocess.run(["curl", "-s", "--path-as-is", "-D", "-", "-o", "-", *extra,
                        f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=30)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in fields.items()}, body


@pytest.mark.parametrize("file,spec", [("/boot/vmlinuz", "bytes=1024000-"),
                                       ("/boot/vmlinuz", "bytes=2000000-3000000"),
                                       ("/boot/vmlinuz", "bytes=-0"), ("/empty", "bytes=0-")])
def test_unsatisfiable_range_is_416_with_the_size(port, root, file, spec):
    """RFC 9110 15.5.17: a 416 says the current length in `Content-Range: bytes */SIZE`."""
    status, fields, _ = headers(port, file, "-H", f"Range: {spec}")
    size = (root / file[1:]).stat().st_size
    assert (status, fields.get("content-range")) == (416, f"bytes */{size}")


@pytest.mark.parametrize("spec", [
    "bytes=5-1", "bytes=0-1,5-6", "bytes=0-1, 2-3", "bytes=abc", "bytes=-", "bytes=1-2-3",
    "items=0-5", "bytes = 0-5", "bytes=0x10-20", "bytes=１-2"])
def test_invalid_or_multiple_ranges_are_ignored(port, root, spec):
    """RFC 9110 14.2: an invalid Range is ignored, and a server may ignore several ranges
    (iPXE and curl never need multipart): the whole file with 200, never 416."""
    status, fields, body = headers(port, "/boot/vmlinuz", "-H", f"Range: {spec}")
    assert status == 200 and "content-range" not in fields
    assert body == (root / "boot" / "vmlinuz").read_bytes()


def test_if_range_is_never_matched_so_the_whole_file_comes(port, root):
    """The server sends no ETag or Last-Modified, so no If-Range validator can match."""
    status, _, body = headers(port, "/boot/vmlinuz", "-r", "0-9", "-H", "If-Range: \"x\"")
    assert (status, body) == (200, (root / "boot" / "vmlinuz").read_bytes())


def test_range_answers_keep_the_connection(port, root):
    """A 206 and an ignored range on one kept-alive connection (curl reuses it)."""
    url = f"http://127.0.0.1:{port}/boot/vmlinuz"
    w = ["-w", "%{http_code} %{num_connects}\\n", "-o", "/dev/null"]
    r = subprocess.run(["curl", "-s", "-r", "0-9", *w, url, "--next", "-H", "Range: bytes=9-1",
                        *w, url], capture_output=True, text=True, timeout=30)
    assert r.stdout.split("\n")[:2] == ["206 1", "200 0"]


@pytest.mark.parametrize("path,status", [
    ("/../etc/passwd", 403), ("/boot/../../etc/passwd", 403), ("/%2e%2e/etc/passwd", 403),
    ("//etc/passwd", 404), ("/escape", 403), ("/boot%00x", 403), ("/nope", 404),
    ("/boot", 404), ("/" + "a" * 300, 403)])
def test_refused_paths(port, path, status):
    """'//etc/passwd' is read as '/etc/passwd' relative to the root (http.server collapses //)."""
    assert curl(port, path)[0] == status


def test_only_get_and_head(port, root):
    assert curl(port, "/boot/vmlinuz", "-X", "PUT", "--data", "x")[0] == 501
    assert curl(port, "/boot/vmlinuz", "-X", "DELETE")[0] == 501


def test_one_log_line_per_request(port, caplog):
    with caplog.at_level(logging.INFO, logger="lfsbuild.netboot.serve"):
        curl(port, "/boot/vmlinuz")
    lines = [r.getMessage() for r in caplog.records if "GET \"/boot/vmlinuz\"" in r.getMessage()]
    assert len(lines) == 1 and "200 ok, 1024000 bytes" in lines[0] and "MB/s" in lines[0]


def test_tftp_only_server_has_no_http(root):
    with BootServer(root, "127.0.0.1", 0, None) as srv:
        assert srv.http_port is None and srv.tftp_port > 0
