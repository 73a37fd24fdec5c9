"""A read-only HTTP server for iPXE: GET and HEAD, single byte ranges, nothing else.

Built on the standard library's ThreadingHTTPServer; names are checked by the same
`open_inside` as TFTP, and bodies go out with `socket.sendfile` (zero-copy).
"""
from __future__ import annotations

import logging
import os
import re
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from .paths import OpenFile, Refused, open_inside

log = logging.getLogger("lfsbuild.netboot.serve")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_RANGE_NOT_SATISFIABLE = HTTPStatus(416)   # its name differs between Python versions


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    root_real: str
    logger: logging.Logger

    def __init__(self, addr: tuple, family: int) -> None:
        self.address_family = family
        super().__init__(addr, _Handler)

    def handle_error(self, request: object, client_address: tuple) -> None:
        """One log line instead of socketserver's traceback on stderr (e.g. a client hung up)."""
        exc = sys.exc_info()[1]
        self.logger.warning("http %s:%d: request failed: %s", client_address[0],
                            client_address[1], exc)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "lfsbuild"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _refuse(self, status: HTTPStatus, why: str) -> None:
        data = (why + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self._log(status, why, 0, 0.0)

    def _serve(self, body: bool) -> None:
        start = time.monotonic()
        # not urlsplit: it would read "//etc/passwd" as a host name plus "/passwd"
        path = unquote(self.path.split("?", 1)[0].split("#", 1)[0], errors="surrogateescape")
        if not path.startswith("/"):
            return self._refuse(HTTPStatus.BAD_REQUEST, "path must start with /")
        try:
            opened = open_inside(self.server.root_real, path[1:])
        except Refused as exc:
            status = HTTPStatus.NOT_FOUND if exc.not_found else HTTPStatus.FORBIDDEN
            return self._refuse(status, exc.reason)
        try:
            self._send_file(opened, body, start)
        finally:
            os.close(opened.fd)

    def _send_file(self, f: OpenFile, body: bool, start: float) -> None:
        first, last = 0, f.size - 1
        status = HTTPStatus.OK
        wanted = self.headers.get("Range")
        if wanted:
            m = _RANGE.match(wanted.strip())
            if not m or not (m[1] or m[2]):
                return self._refuse(_RANGE_NOT_SATISFIABLE,
                                    "only one byte range (bytes=A-B) is supported")
            if m[1]:
                first = int(m[1])
                last = min(int(m[2]), f.size - 1) if m[2] else f.size - 1
            else:
                first = max(f.size - int(m[2]), 0)
            if first > last or first >= f.size:
                return self._refuse(_RANGE_NOT_SATISFIABLE, "range outside the file")
            status = HTTPStatus.PARTIAL_CONTENT
        length = last - first + 1 if f.size else 0
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {first}-{last}/{f.size}")
        self.end_headers()
        sent = 0
        if body and length:
            self.wfile.flush()
            with os.fdopen(os.dup(f.fd), "rb") as src:
                sent = self.connection.sendfile(src, offset=first, count=length)
        self._log(status, "ok", sent, time.monotonic() - start)

    def _log(self, status: HTTPStatus, what: str, sent: int, elapsed: float) -> None:
        rate = sent / elapsed / 1e6 if elapsed > 0 else 0.0
        self.server.logger.info('http %s:%d %s "%s": %d %s, %d bytes in %.3f s (%.1f MB/s)',
                                self.client_address[0], self.client_address[1], self.command,
                                self.path, status.value, what, sent, elapsed, rate)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log; `_log` writes one line per request."""
        self.server.logger.debug("http %s: " + format, self.client_address[0], *args)


class HttpServer:
    """Runs the handler in a background thread; `port` holds the real port after start()."""

    def __init__(self, root_real: str, bind: str = "0.0.0.0", port: int = 8069, *,
                 logger: logging.Logger | None = None) -> None:
        self.root_real, self.bind, self.port = root_real, bind, port
        self.logger = logger or log
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.bind else socket.AF_INET
        self._server = _Server((self.bind, self.port), family)
        self._server.root_real = self.root_real
        self._server.logger = self.logger
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name="http-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
