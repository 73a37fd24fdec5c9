"""A real HTTP server on 127.0.0.1 whose misbehaviour tests (and the fetch benchmark) choose.

Per file: serve it properly (with Range), 404, reset the connection mid-body, send wrong
bytes, ignore Range, stall longer than the client's timeout, trickle a byte at a time, label the
body `Content-Encoding: gzip` (as-is or really compressed), append junk (with or without a
Content-Length, i.e. an endless-looking body), or announce a Content-Length it never sends;
plus optional per-request latency and a per-connection bandwidth cap for benchmarks. Every request is logged so tests can assert
that a run made no request at all.
"""
from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Behaviour:
    status: int = 200
    reset_after: int | None = None     # close with RST after this many body bytes
    wrong_bytes: bool = False          # flip bytes: checksum mismatch
    ignore_range: bool = False
    stall: float = 0.0                 # sleep this long before the body
    latency: float = 0.0               # sleep before answering at all
    rate: float | None = None          # bytes per second cap, per connection
    once: bool = False                 # misbehave only on the first request, then behave
    content_encoding: str | None = None  # send this Content-Encoding, body unchanged (misconfig)
    transcode_gzip: bool = False       # really gzip the body on the fly (Content-Encoding: gzip)
    extra: int = 0                     # append this many junk bytes after the file's bytes
    no_length: bool = False            # no Content-Length: the body ends when the server closes
    claim_length: int | None = None    # announce this Content-Length (a lie), then close
    trickle: float = 0.0               # send one body byte every `trickle` seconds ...
    trickle_for: float = 20.0          # ... for at most this long, then close (bounded attack)


@dataclass
class FileServer:
    """Serves `files` (name -> bytes or Path) at http://127.0.0.1:PORT/<prefix>/<name>."""

    files: dict[str, bytes | Path] = field(default_factory=dict)
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    default: Behaviour = field(default_factory=Behaviour)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (path, range, result)
    sent: dict[str, int] = field(default_factory=dict)  # body bytes written, per request path

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "FileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        name = h.path.split("?")[0].rsplit("/", 1)[-1]
        beh = self.behaviours.get(name, self.default)
        rng = h.headers.get("Range", "")
        if beh.once and any(r[0] == h.path for r in self.requests):
            beh = self.default
        if beh.latency:
            time.sleep(beh.latency)
        if name not in self.files or beh.status == 404:
            self.requests.append((h.path, rng, "404"))
            h.send_error(404, "Not Found")
            return
        if beh.status != 200:
            self.requests.append((h.path, rng, str(beh.status)))
            h.send_error(beh.status)
            return
        data = self.files[name]
        if isinstance(data, Path):
            data = data.read_bytes()
        total = len(data)
        start = 0
        if rng.startswith("bytes=") and not beh.ignore_range:
            start = int(rng[6:].split("-")[0] or 0)
            if start >= total:
                self.requests.append((h.path, rng, "416"))
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{total}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
        else:
            h.send_response(200)
        body = data[start:]
        if beh.wrong_bytes:
            body = bytes(b ^ 0x5A for b in body)
        if beh.transcode_gzip:
            body = gzip.compress(body)
        if beh.content_encoding or beh.transcode_gzip:
            h.send_header("Content-Encoding", beh.content_encoding or "gzip")
        if beh.claim_length is not None:
            h.send_header("Content-Length", str(beh.claim_length))
        elif not beh.no_length:
            h.send_header("Content-Length", str(len(body) + beh.extra))
        if beh.no_length or beh.claim_length is not None:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.send_header("Accept-Ranges", "bytes")
        h.end_headers()
        self.requests.append((h.path, rng, "206" if start else "200"))
        if beh.stall:
            time.sleep(beh.stall)
        self.sent[h.path] = 0
        self._send_body(h, body, beh)

    def _send_body(self, h: BaseHTTPRequestHandler, body: bytes, beh: Behaviour) -> None:
        limit = beh.reset_after if beh.reset_after is not None else len(body)
        view = memoryview(body)[:limit]
        step = 64 * 1024
        if beh.rate:
            step = max(1024, int(beh.rate / 50))  # ~20 ms slices
        if beh.trickle:
            step = 1
        t0 = time.monotonic()
        sent = 0
        try:
            while sent < len(view):
                if beh.trickle and time.monotonic() - t0 > beh.trickle_for:
                    h.close_connection = True
                    return
                chunk = view[sent:sent + step]
                h.wfile.write(chunk)
                if beh.trickle:
                    h.wfile.flush()
                sent += len(chunk)
                self.sent[h.path] = sent
                if beh.trickle:
                    time.sleep(beh.trickle)
                if beh.rate:
                    ahead = sent / beh.rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
            junk = bytes(step)
            left = beh.extra
            while left > 0:  # the "endless" body: junk until the client hangs up or it runs out
                n = min(left, len(junk))
                h.wfile.write(junk[:n])
                left -= n
                sent += n
                self.sent[h.path] = sent
            h.wfile.flush()
            if beh.reset_after is not None:
                # an abortive close (RST), like a dropped connection mid-transfer
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                h.connection.close()
                h.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
