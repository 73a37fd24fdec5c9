"""Hostile clients against lfsbuild's HTTP server, on 127.0.0.1 (and 127.0.0.2 as a second
client address): huge ranges, idle and dripping connections, stalled downloads, requests the
base class rejects. Every attack is bounded in count and time, and stops by itself.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from waiting import eventually as wait_for

from lfsbuild.netboot.serve import BootServer
from lfsbuild.netboot.serve.http import MAX_PER_ADDRESS, HttpServer

pytestmark = pytest.mark.needs("curl", package="curl")

SIZE = 1_000_000
BIG = 24 << 20          # more than loopback's socket buffers hold, so sendfile has to wait
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Records(logging.Handler):
    """Every message the server logs, formatted, in a list."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def matching(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attackroot")
    (root / "f").write_bytes(os.urandom(SIZE))
    with open(root / "big", "wb") as f:
        f.truncate(BIG)
    return root


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, Records]]:
    logger = logging.getLogger(f"lfsbuild.netboot.serve.attacks.{time.monotonic_ns()}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    records = Records()
    logger.addHandler(records)
    yield logger, records
    logger.removeHandler(records)


@pytest.fixture
def small(root: Path, logged) -> Iterator[tuple[HttpServer, Records]]:
    """A server with limits shrunk to seconds and a handful of connections."""
    srv = HttpServer(os.path.realpath(root), "127.0.0.1", 0, logger=logged[0], head_timeout=1.0,
                     idle_timeout=1.0, max_connections=12, max_per_address=6)
    srv.start()
    yield srv, logged[1]
    srv.stop()


def raw(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data`, return all the server answers until it closes (or resets) the connection."""
    out = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            while chunk := s.recv(65536):
                out += chunk
        except ConnectionResetError:   # it answered and closed while data was still unread
            pass
    return bytes(out)


def status_and_headers(answer: bytes) -> tuple[int, dict[str, str]]:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), {k.lower(): v for k, v in fields.items()}


def get(path: str, *fields: str) -> bytes:
    return "".join([f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n",
                    *(f + "\r\n" for f in fields), "\r\n"]).encode()


def curl(port: int, path: str, *extra: str, timeout: float = 30) -> tuple[int, bytes]:
    r = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *extra,
                        f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=timeout)
    body, _, status = r.stdout.rpartition(b"\n")
    return int(status), body


# -- Range: numbers beyond Python's int-conversion limit ------------------------------

DIGITS = 4301   # one past sys.get_int_max_str_digits()'s default


@pytest.mark.parametrize("spec,status,first,last", [
    ("9" * DIGITS + "-", 416, None, None),
    ("0-" + "9" * DIGITS, 206, 0, SIZE - 1),
    ("-" + "9" * DIGITS, 206, 0, SIZE - 1),
    ("0" * DIGITS + "5-" + "0" * DIGITS + "9", 206, 5, 9)])
def test_range_with_thousands_of_digits_is_answered(root, spec, status, first, last):
    """It used to get no answer at all: int() raised and the connection was dropped."""
    data = (root / "f").read_bytes()
    with BootServer(root, "127.0.0.1", 0, 0) as srv:
        answer = raw(srv.http_port, get("/f", f"Range: bytes={spec}"))
    got, fields = status_and_headers(answer)
    assert got == status
    if status == 416:
        assert fields["content-range"] == f"bytes */{SIZE}"
    else:
        assert fields["content-range"] == f"bytes {first}-{last}/{SIZE}"
        assert answer.split(b"\r\n\r\n", 1)[1] == data[first:last + 1]


# -- idle connections, slow heads, stalled downloads ----------------------------------

def test_200_idle_connections_do_not_get_200_threads(root):
    """With the default limits: one address gets MAX_PER_ADDRESS threads, the rest a 503 at
    once, and another address is still served while they are open."""
    data = (root / "f").read_bytes()
    with BootServer(root, "127.0.0.1", 0, 0) as srv:
        before = threading.active_count()
        idle = [socket.create_connection(("127.0.0.1", srv.http_port), timeout=10)
                for _ in range(200)]
        try:
            time.sleep(0.5)
            threads = threading.active_count() - before
            other = curl(srv.http_port, "/f", "--interface", "127.0.0.2")
            same = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null",
                                   f"http://127.0.0.1:{srv.http_port}/f"],
                                  capture_output=True, text=True, timeout=30).stdout
        finally:
            for s in idle:
                s.close()
    assert threads <= MAX_PER_ADDRESS
    assert other == (200, data)
    assert same.startswith("HTTP/1.1 503") and "Retry-After:" in same


def test_idle_connections_are_closed_and_a_download_still_works(small, root):
    srv, records = small
    data = (root / "f").read_bytes()
    before = threading.active_count()
    opened = time.monotonic()
    idle = [socket.create_connection(("127.0.0.1", srv.port), timeout=10) for _ in range(30)]
    try:
        time.sleep(0.2)
        threads = threading.active_count() - before
        assert curl(srv.port, "/f", "--interface", "127.0.0.2") == (200, data)
        answers, closed_after = [], []
        for s in idle:
            answers.append(s.recv(65536))
            closed_after.append(time.monotonic() - opened)
            if answers[-1]:
                assert s.recv(65536) == b""       # a 503, then the close
    finally:
        for s in idle:
            s.close()
    assert threads <= 6                       # max_per_address
    assert sum(a.startswith(b"HTTP/1.1 503") for a in answers) == 24
    assert sum(a == b"" for a in answers) == 6
    assert max(closed_after) < 1.0 + 3.0     # head_timeout, plus slack for a busy machine
    assert wait_for(lambda: srv.active_connections == 0, 3)
    assert len(records.matching(": 503 refused, 6 connections from this address")) == 24


def test_a_request_head_dripped_byte_by_byte_is_cut_at_the_deadline(small):
    """Every byte arrives well inside the idle timeout; the head's deadline still ends it."""
    srv, records = small
    request = get("/f", "X-Slow: " + "a" * 100)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        start = time.monotonic()
        try:
            for byte in request:
                s.send(bytes([byte]))
                time.sleep(0.2)
                if time.monotonic() - start > 6:
                    break
            answer = s.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            answer = b""
        took = time.monotonic() - start
    assert answer == b"" and took < 1.0 + 3.0
    assert records.matching("closed: no complete request within 1 s")


def slow_get(port: int, path: str, rate: float) -> tuple[bytes, float]:
    """GET with a steady reader at `rate` bytes/s (no bursts and long pauses, unlike curl's
    --limit-rate); returns (everything received, seconds)."""
    out = bytearray()
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(get(path))
        while chunk := s.recv(32768):
            out += chunk
            time.sleep(max(0.0, start + len(out) / rate - time.monotonic()))
    return bytes(out), time.monotonic() - start


def test_a_stalled_download_is_cut(small, root):
    """A client that asks for a file and stops reading holds its thread for idle_timeout."""
    srv, records = small
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", srv.port))
        s.sendall(get("/big"))
        assert wait_for(lambda: records.matching('"/big": 200 failed'), 1.0 + 4.0)
    line = records.matching('"/big": 200 failed')[0]
    assert "client took no data for 1 s" in line
    sent = int(re.search(r", (\d+) bytes in", line)[1])
    assert 0 < sent < BIG
    assert wait_for(lambda: srv.active_connections == 0, 3)


def test_a_slow_download_is_never_cut(small, root):
    """The timeout is on idleness, not on the transfer: 24 MiB at 6 MB/s takes 4 s, four
    times both timeouts of this server, and every byte arrives."""
    srv, records = small
    answer, took = slow_get(srv.port, "/big", 6e6)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status_and_headers(head)[0] == 200 and len(body) == BIG and body.count(0) == BIG
    assert took > 3.0
    assert records.matching('"/big": 200 ok, 25165824 bytes')


# -- every answer logged, with the client's strings quoted ----------------------------

@pytest.mark.parametrize("request_bytes,status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /f HTTP/1.x\r\n\r\n", 400),
    (b"GET /a\rforged: line HTTP/1.1\r\n\r\n", 400),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET /f HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    (b"GET /f HTTP/1.1\r\n" + b"X: a\r\n" * 101 + b"\r\n", 431),
    (b"GET /f HTTP/1.1\r\n" + (b"X: " + b"a" * 60_000 + b"\r\n") * 3 + b"\r\n", 431),
    (b"PUT /f HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 501),
    (b"G\x1b[31mET /f HTTP/1.1\r\n\r\n", 501),
    (b"GET /f HTTP/2.0\r\n\r\n", 505),
    (b"GET /\x1b[2J\x9b31m\x7fx HTTP/1.1\r\nConnection: close\r\n\r\n", 404),
])
def test_every_answer_is_logged_once_without_control_characters(small, request_bytes, status):
    srv, records = small
    answer = raw(srv.port, request_bytes)
    if answer:                   # 414/431 may be lost to a reset: the server closes on unread data
        assert status_and_headers(answer)[0] == status
    assert wait_for(lambda: records.matching(f": {status} "), 2)
    lines = [line for line in records.lines if line.startswith("http ")]
    assert len(records.matching(f": {status} ")) == 1, lines
    for line in records.lines:
        assert not CONTROL.search(line), line
        assert len(line) < 1000, line
