"""A read-only HTTP server for iPXE: GET and HEAD, single byte ranges, nothing else.

Built on the standard library's ThreadingHTTPServer; names are checked by the same
`open_inside` as TFTP, and bodies go out with `socket.sendfile` (zero-copy).

The network is untrusted: every connection has a deadline for its request head and a
bound on how long it may make no progress, connections are capped in total and per client
address, and every answer (including the base class's 400/414/431/501/505) gets one log
line with the client's strings quoted.
"""
from __future__ import annotations

import enum
import http.client
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
from .transfers import LOG_TEXT_MAX, Transfer, TransferSink, escape, quote, wire_text

log = logging.getLogger("lfsbuild.netboot.serve")

HEAD_TIMEOUT = 30.0
"""Seconds from the moment the server waits for a request (a new connection, or the end of
the previous answer on a keep-alive one) until that request's head is complete.

A request head from iPXE or curl is a few hundred bytes sent at once, so even a slow link
delivers it in well under a second; 30 s is generous for a client that pauses between
requests on a kept-alive connection (iPXE fetches kernel and initrd back to back, and opens
a new connection when it finds a pooled one closed). It is a deadline for the whole head,
not per read: a client that drips one byte at a time ("slowloris") cannot stretch it.
"""

IDLE_TIMEOUT = 60.0
"""Seconds a single read or write may wait with no progress at all.

This bounds idleness, never the duration of a transfer: each `sendfile` wait ends as soon
as the client accepts more bytes, so a 200 MB initrd over a slow NIC (hours at worst) is
never cut. 60 s of no progress is far past TCP's retransmission back-off on a lossy link
(about 51 s for 8 lost retransmissions): a connection that still moves nothing is dead or
hostile, and holding its thread longer only helps an attacker.
"""

MAX_CONNECTIONS = 256
"""Connections served at once, each one thread; more are refused with 503.

The same as TFTP's default transfer slots: a lab booting hundreds of machines at the same
moment is served, while an attacker opening thousands of sockets cannot grow the server's
threads and memory without bound.
"""

MAX_PER_ADDRESS = 32
"""Connections served at once for one client address, so one client cannot take them all.

iPXE and curl use one or two connections at a time; 32 leaves room for several guests
behind one NAT address (QEMU user networking, `invoke boot-test` running NICs in
parallel) while 8 addresses are needed to fill MAX_CONNECTIONS.
"""

MAX_HEAD_BYTES = 64 << 10
"""Bytes of header fields a request may carry (the request line has its own 64 KiB limit).

iPXE and curl send well under 1 KiB. The standard library alone allows 100 fields of 64 KiB
each, 6.5 MB per connection, MAX_CONNECTIONS times over; more than this answers 431.
"""

RETRY_AFTER = 5
"""Seconds a refused client is told to wait (503 Retry-After): long enough for an idle
connection ahead of it to finish, short enough that a booting machine does not time out."""

SERVER_NAME = "lfsbuild"
_POSITION_MAX = 1 << 63  # any larger byte position is "past the end" of every file
_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)
_OWS = " \t"
_RANGE_NOT_SATISFIABLE = HTTPStatus(416)   # its name differs between Python versions


def _printable(text: str) -> str:
    """Server-made text that may embed client strings (the base class's reasons), escaped."""
    cut = len(text) - 2 * LOG_TEXT_MAX
    return escape(text[:2 * LOG_TEXT_MAX]) + (f"...(+{cut} chars)" if cut > 0 else "")


def _log_answer(logger: logging.Logger, client: tuple, command: str, target: str, status: int,
                what: str, sent: int, elapsed: float, sink: TransferSink | None = None) -> None:
    """The one line per answer, for files, errors and refused connections alike, and the
    same facts as a `Transfer` for the server's `on_transfer` callback.

    `command` and `target` come from the client and are quoted unless the method is a plain
    upper-case word.
    """
    rate = sent / elapsed / 1e6 if elapsed > 0 else 0.0
    if not re.fullmatch(r"[A-Z]{1,20}|-", command):
        command = quote(wire_text(command))
    logger.info("http %s:%d %s %s: %d %s, %d bytes in %.3f s (%.1f MB/s)", client[0], client[1],
                command, quote(wire_text(target)), status, _printable(what), sent, elapsed, rate)
    if sink is not None:
        outcome = "ok" if status < 400 and what == "ok" else f"{status} {what}"
        sink(Transfer("http", tuple(client[:2]), target, outcome, sent, elapsed))


def _position(digits: str) -> int:
    """A byte position from a Range header without `int()` on thousands of digits.

    Python refuses to convert more than 4,300 digits (and converting fewer is quadratic),
    so anything longer than 19 significant digits is simply "larger than any file".
    """
    digits = digits.lstrip("0")
    return int(digits or "0") if len(digits) <= 19 else _POSITION_MAX


class NoRange(enum.Enum):
    """A Range header that does not select bytes to send with 206."""

    WHOLE_FILE = "ignore the header: 200 with the whole file"
    NOT_SATISFIABLE = "416 with Content-Range: bytes */size"


def parse_range(header: str, size: int) -> tuple[int, int] | NoRange:
    """What a Range header asks of a file of `size` bytes (RFC 9110 section 14).

    (first, last) for one satisfiable byte range; NOT_SATISFIABLE for a valid range that
    starts at or past the end (or a suffix of 0 bytes); WHOLE_FILE for a header that is
    syntactically invalid (which the RFC requires ignoring), of another unit, or with several
    ranges (which a server may ignore; iPXE and curl never need multipart answers).
    """
    unit, eq, spec_set = header.strip(_OWS).partition("=")
    if not eq or unit.lower() != "bytes":          # no whitespace around "=" in the grammar
        return NoRange.WHOLE_FILE
    specs = [s.strip(_OWS) for s in spec_set.split(",")]
    specs = [s for s in specs if s]      # RFC 9110 5.6.1: empty list elements are allowed
    if len(specs) != 1:
        return NoRange.WHOLE_FILE
    m = _RANGE_SPEC.fullmatch(specs[0])
    if not m or not (m[1] or m[2]):
        return NoRange.WHOLE_FILE
    if m[1]:                                               # first-last or first-
        first = _position(m[1])
        last = _position(m[2]) if m[2] else _POSITION_MAX
        if last < first:
            return NoRange.WHOLE_FILE                      # invalid, not unsatisfiable
        if first >= size:
            return NoRange.NOT_SATISFIABLE
        return first, min(last, size - 1)
    suffix = _position(m[2])                               # -suffix: the last N bytes
    if suffix == 0:
        return NoRange.NOT_SATISFIABLE
    if size == 0:       # satisfiable, but a 206 cannot express a range of 0 bytes
        return NoRange.WHOLE_FILE
    return max(size - suffix, 0), size - 1


class _RequestReader:
    """The handler's `rfile`: line reads with a deadline for a whole request head.

    The standard library's buffered reader waits up to the socket timeout *per recv*, so a
    client dripping one byte every few seconds could hold a connection for ever; this one
    checks the head's deadline before every recv. Bytes past the head (a pipelined next
    request) stay buffered for the next one.
    """

    def __init__(self, sock: socket.socket, idle_timeout: float) -> None:
        self.sock, self.idle_timeout = sock, idle_timeout
        self.buf = bytearray()
        self.deadline: float | None = None
        self.head_timeout = 0.0
        self.received = 0          # bytes of the current head (0: the client said nothing)
        self.taken = 0             # bytes of it handed out as lines
        self.budget: int | None = None
        self.closed = False

    def begin_head(self, seconds: float) -> None:
        self.head_timeout, self.deadline = seconds, time.monotonic() + seconds
        self.received, self.taken, self.budget = len(self.buf), 0, None

    def limit_fields(self, nbytes: int) -> None:
        """From here on (the header fields), at most `nbytes` more before 431."""
        self.budget = self.taken + nbytes

    def end_head(self) -> None:
        self.deadline = self.budget = None

    def readline(self, limit: int = -1) -> bytes:
        """Up to and including b"\\n", at most `limit` bytes, or what is left at EOF.

        Past the fields' budget it raises LineTooLong, which the base class answers with 431.
        """
        if self.budget is not None and self.taken >= self.budget:
            raise http.client.LineTooLong(f"header fields (at most {MAX_HEAD_BYTES} in all)")
        start = 0
        while True:
            end = self.buf.find(b"\n", start)
            if end >= 0 and (limit < 0 or end < limit):
                return self._take(end + 1)
            if 0 <= limit <= len(self.buf):
                return self._take(limit)
            start = len(self.buf)
            if not self._fill():
                return self._take(len(self.buf))

    def _take(self, n: int) -> bytes:
        line = bytes(self.buf[:n])
        del self.buf[:n]
        self.taken += n
        return line

    def _fill(self) -> bool:
        wait = self.idle_timeout
        if self.deadline is not None:
            wait = min(wait, self.deadline - time.monotonic())
            if wait <= 0:
                raise TimeoutError(f"no complete request within {self.head_timeout:g} s")
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                raise TimeoutError(
                    f"no complete request within {self.head_timeout:g} s") from None
            raise TimeoutError(f"no data for {self.idle_timeout:g} s") from None
        finally:
            self.sock.settimeout(self.idle_timeout)     # what sendfile's waits use
        self.buf += data
        self.received += len(data)
        return bool(data)

    def close(self) -> None:
        self.closed = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 makes a burst of connections (machines booting
    # together, or a flood that is refused below) wait for SYN retransmits; refusing is cheap
    request_queue_size = 128
    root_real: str
    logger: logging.Logger
    on_transfer: TransferSink | None = None

    def __init__(self, addr: tuple, family: int, *, head_timeout: float,
                 idle_timeout: float, max_connections: int, max_per_address: int) -> None:
        self.address_family = family
        self.head_timeout, self.idle_timeout = head_timeout, idle_timeout
        self.max_connections, self.max_per_address = max_connections, max_per_address
        self._slots = threading.Lock()
        self._active = 0
        self._per_address: dict[str, int] = {}
        super().__init__(addr, _Handler)

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        """Take a connection slot or refuse at once, in the listener thread, without a thread."""
        addr = client_address[0]
        with self._slots:
            mine = self._per_address.get(addr, 0)
            if mine >= self.max_per_address:
                why = f"{mine} connections from this address (limit {self.max_per_address})"
            elif self._active >= self.max_connections:
                why = f"{self._active} connections (limit {self.max_connections})"
            else:
                why = ""
                self._active += 1
                self._per_address[addr] = mine + 1
        if why:
            self._refuse(request, client_address, why)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:               # no thread started: give the slot back
            self._release(addr)
            raise

    def process_request_thread(self, request: socket.socket, client_address: tuple) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(client_address[0])

    def _release(self, addr: str) -> None:
        with self._slots:
            self._active -= 1
            left = self._per_address.get(addr, 1) - 1
            if left > 0:
                self._per_address[addr] = left
            else:
                self._per_address.pop(addr, None)

    @property
    def active_connections(self) -> int:
        return self._active

    def _refuse(self, request: socket.socket, client_address: tuple, why: str) -> None:
        """503 + Retry-After without blocking: a send that does not fit is simply dropped."""
        body = f"server busy: {why}; retry in {RETRY_AFTER} s\n".encode()
        answer = (f"HTTP/1.1 503 Service Unavailable\r\nServer: {SERVER_NAME}\r\n"
                  f"Retry-After: {RETRY_AFTER}\r\nContent-Type: text/plain\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        try:
            request.setblocking(False)
            try:
                request.recv(65536)     # what already arrived: closing on unread data resets
            except OSError:
                pass
            request.send(answer)
            request.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            request.close()
        _log_answer(self.logger, client_address, "-", "", 503, f"refused, {why}", 0, 0.0,
                    self.on_transfer)

    def handle_error(self, request: object, client_address: tuple) -> None:
        """One log line instead of socketserver's traceback on stderr (e.g. a client hung up)."""
        exc = sys.exc_info()[1]
        self.logger.warning("http %s:%d: request failed: %s", client_address[0],
                            client_address[1], _printable(str(exc)))


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    rfile: _RequestReader      # type: ignore[assignment]
    server_version = SERVER_NAME
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return self.server_version          # not "lfsbuild " with an empty Python version

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout   # StreamRequestHandler sets it on the socket
        super().setup()
        self.rfile.close()                        # the buffered reader has read nothing yet
        self.rfile = _RequestReader(self.connection, self.server.idle_timeout)
        self._start = time.monotonic()

    def handle_one_request(self) -> None:
        self.command, self.path, self.requestline = "", "", ""   # not the previous request's
        self.rfile.begin_head(self.server.head_timeout)
        self._start = time.monotonic()
        super().handle_one_request()

    def parse_request(self) -> bool:
        self.rfile.limit_fields(MAX_HEAD_BYTES)     # the request line is already read
        try:
            return super().parse_request()
        finally:
            self.rfile.end_head()

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """Every error answer, the base class's too (400, 414, 431, 501, 505), as `_refuse`.

        The base class would put its message, which quotes the client's request line, into
        the status line and an HTML page; a plain standard reason and one log line is all
        a boot loader needs.
        """
        status = HTTPStatus(code)
        self.close_connection = True
        if self.request_version not in ("HTTP/1.0", "HTTP/1.1"):
            # unparsed or unsupported: the base class would leave out the status line, as if
            # answering HTTP/0.9, and no client would see the code
            self.request_version = "HTTP/1.0"
        self._refuse(status, f"{message or status.phrase}" + (f" ({explain})" if explain else ""))

    def _refuse(self, status: HTTPStatus, why: str,
                headers: tuple[tuple[str, str], ...] = ()) -> None:
        data = (_printable(why) + "\n").encode()
        self._log(status, why, 0, time.monotonic() - self._start)   # before the client has it
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _serve(self, body: bool) -> None:
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
            self._send_file(opened, body)
        finally:
            os.close(opened.fd)

    def _wanted_range(self, size: int) -> tuple[int, int] | NoRange:
        """`parse_range` of the one Range header, or WHOLE_FILE when it is to be ignored.

        Several Range fields are as good as several ranges; with If-Range the client wants
        the range only if its validator matches, and this server sends no validators
        (no ETag, no Last-Modified), so none can match (RFC 9110 13.1.5).
        """
        fields = self.headers.get_all("Range") or []
        if len(fields) != 1 or "If-Range" in self.headers:
            return NoRange.WHOLE_FILE
        return parse_range(fields[0], size)

    def _send_file(self, f: OpenFile, body: bool) -> None:
        first, last = 0, f.size - 1
        status = HTTPStatus.OK
        wanted = self._wanted_range(f.size)
        if wanted is NoRange.NOT_SATISFIABLE:
            return self._refuse(_RANGE_NOT_SATISFIABLE, "range outside the file",
                                (("Content-Range", f"bytes */{f.size}"),
                                 ("Accept-Ranges", "bytes")))
        if wanted is not NoRange.WHOLE_FILE:
            first, last = wanted
            status = HTTPStatus.PARTIAL_CONTENT
        length = last - first + 1 if f.size else 0
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {first}-{last}/{f.size}")
        self.end_headers()
        sent, what = 0, "ok"
        if body and length:
            self.wfile.flush()
            with os.fdopen(os.dup(f.fd), "rb") as src:
                src.seek(first)
                try:
                    # the socket's timeout bounds each wait for the client, not the transfer
                    sent = self.connection.sendfile(src, offset=first, count=length)
                    if sent < length:
                        what = "failed: the file shrank while it was sent"
                except TimeoutError:
                    what = f"failed: client took no data for {self.server.idle_timeout:g} s"
                except OSError as exc:
                    what = f"failed: {exc.strerror or exc}"
                if what != "ok":
                    sent = max(src.tell() - first, sent)
                    self.close_connection = True   # the promised length was not sent
        self._log(status, what, sent, time.monotonic() - self._start)

    def _log(self, status: HTTPStatus, what: str, sent: int, elapsed: float) -> None:
        _log_answer(self.server.logger, self.client_address, self.command or "-",
                    self.path or self.requestline, status.value, what, sent, elapsed,
                    self.server.on_transfer)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """`_log` writes the line for every answer; the base class's would be a second one."""

    def log_error(self, format: str, *args: object) -> None:
        """The base class calls this only for a timed-out request (send_error is ours)."""
        idle = self.rfile.deadline is not None and not self.rfile.received
        why = str(args[0]) if args and isinstance(args[0], TimeoutError) else format % args
        self.server.logger.log(logging.DEBUG if idle else logging.INFO,
                               "http %s:%d closed: %s", self.client_address[0],
                               self.client_address[1], _printable(why))

    def log_message(self, format: str, *args: object) -> None:
        self.server.logger.debug("http %s: %s", self.client_address[0],
                                 _printable(format % args))


class HttpServer:
    """Runs the handler in a background thread; `port` holds the real port after start().

    The keyword limits default to the module's constants (see their docstrings); tests
    shrink them to check the bounds in seconds.
    """

    def __init__(self, root_real: str, bind: str = "0.0.0.0", port: int = 8069, *,
                 logger: logging.Logger | None = None, head_timeout: float = HEAD_TIMEOUT,
                 idle_timeout: float = IDLE_TIMEOUT, max_connections: int = MAX_CONNECTIONS,
                 max_per_address: int = MAX_PER_ADDRESS,
                 on_transfer: TransferSink | None = None) -> None:
        self.root_real, self.bind, self.port = root_real, bind, port
        self.logger = logger or log
        self.on_transfer = on_transfer
        self.limits = {"head_timeout": head_timeout, "idle_timeout": idle_timeout,
                       "max_connections": max_connections, "max_per_address": max_per_address}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def active_connections(self) -> int:
        return self._server.active_connections if self._server else 0

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.bind else socket.AF_INET
        self._server = _Server((self.bind, self.port), family, **self.limits)
        self._server.root_real = self.root_real
        self._server.logger = self.logger
        self._server.on_transfer = self.on_transfer
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name="http-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
