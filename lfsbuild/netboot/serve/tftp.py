"""A read-only TFTP server: RFC 1350 plus options (RFC 2347/2348/2349/7440).

Why our own and not tftpy/py3tftp/ptftpd/PyPXE: none of them is both maintained and
complete (tftpy has no windowsize, the others are unmaintained or fail on large files),
and the Python ones are 1.5-3x slower than tftpd-hpa on the hot path. A transfer here is
one thread with its own connected UDP socket (its TID); each block is read with one
`preadv` into a slot and sent with one `send`, and a window's slots are kept so a window
lost on the way is resent without reading it again.

Hostile or broken clients are bounded: a client silent for `max_silence` seconds is
dropped whatever timeout it asked for, one address holds at most `max_per_client` of the
`max_transfers` slots, a transfer's buffers are pages of an anonymous mapping that cost
memory only once a block is read into them and are given back once sent to a client that
has not taken a block yet or went silent, and everything a client sends that reaches the
log is quoted (`quote`).
"""
from __future__ import annotations

import logging
import mmap
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from .paths import OpenFile, Refused, open_inside
from .transfers import Transfer, TransferSink, quote

OP_RRQ, OP_WRQ, OP_DATA, OP_ACK, OP_ERROR, OP_OACK = 1, 2, 3, 4, 5, 6
E_UNDEF, E_NOT_FOUND, E_ACCESS, E_FULL, E_ILLEGAL, E_TID, E_EXISTS, E_USER, E_OPTION = range(9)

MAX_REQUEST = 4096          # RFC 2347 requests fit 512 bytes; be lenient, but bounded
MAX_BLKSIZE = 65464         # RFC 2348 upper bound
MAX_WINDOW_BYTES = 512 << 10   # per transfer, x2 for read-ahead: bounds memory per client
MAX_SILENCE = 30.0          # seconds a silent client may hold a transfer, whatever it asked

log = logging.getLogger("lfsbuild.netboot.serve")


class ProtocolError(Exception):
    """Something the peer sent is refused with a TFTP error `code`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _GiveUp(Exception):
    """The transfer ends early; the message goes into the log line and an ERROR to the client."""


class _ClientEnded(_GiveUp):
    """The client sent ERROR: the transfer ends without a reply (RFC 1350: an error packet
    is not acknowledged; a PXE ROM aborting after learning tsize must not get one back)."""


@dataclass(frozen=True)
class Request:
    """A parsed RRQ/WRQ. Option names are lower-cased, values kept as sent."""

    opcode: int
    filename: str
    mode: str
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Negotiated:
    """What this transfer runs with, and the OACK to send (empty: no OACK, RFC 1350)."""

    blksize: int = 512
    windowsize: int = 1
    timeout: float = 1.0
    oack: dict[str, str] = field(default_factory=dict)


def error_packet(code: int, message: str) -> bytes:
    """An ERROR datagram; the message is what a person reading the client's output sees."""
    return struct.pack(">HH", OP_ERROR, code) + message.encode("ascii", "replace")[:500] + b"\0"


def parse_request(packet: bytes) -> Request:
    """Parse an RRQ/WRQ or raise `ProtocolError` saying what is wrong with it."""
    if len(packet) < 4:
        raise ProtocolError(E_ILLEGAL, "truncated packet")
    opcode = packet[0] << 8 | packet[1]
    if opcode not in (OP_RRQ, OP_WRQ):
        raise ProtocolError(E_ILLEGAL, f"opcode {opcode} is not a request")
    fields = packet[2:].split(b"\0")
    if fields[-1] != b"":
        raise ProtocolError(E_ILLEGAL, "truncated request: last field is not NUL-terminated")
    fields.pop()
    while len(fields) > 2 and fields[-1] == b"":
        fields.pop()            # some boot ROMs pad requests with NULs
    if len(fields) < 2:
        raise ProtocolError(E_ILLEGAL, "request lacks a file name or mode")
    name, mode_raw, *opts = fields
    mode = mode_raw.decode("ascii", "replace").lower()
    if mode not in ("octet", "netascii"):
        raise ProtocolError(E_ILLEGAL, f"transfer mode {quote(mode)} is not supported; use octet")
    if len(opts) % 2:
        raise ProtocolError(E_OPTION, "an option has no value")
    try:
        options = {opts[i].decode("ascii").lower(): opts[i + 1].decode("ascii")
                   for i in range(0, len(opts), 2)}
    except UnicodeDecodeError:
        raise ProtocolError(E_ILLEGAL, "options must be ASCII") from None
    return Request(opcode, name.decode("utf-8", "surrogateescape"), mode, options)


def _int_option(options: dict[str, str], name: str, low: int, high: int | None) -> int | None:
    value = options.get(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 9:
        raise ProtocolError(E_OPTION, f"option {name}={quote(value)} is not a number")
    number = int(value)
    if number < low or (high is not None and number > high):
        top = "" if high is None else f"..{high}"
        raise ProtocolError(E_OPTION, f"option {name}={number} out of range {low}{top}")
    return number


def negotiate(options: dict[str, str], size: int, default_timeout: float,
              max_timeout: float = 255.0) -> Negotiated:
    """Decide blksize/windowsize/timeout/tsize (pure). Unknown options are ignored (RFC 2347).

    A timeout above `max_timeout` is valid but declined (left out of the OACK, which RFC
    2347 allows), so the transfer runs on `default_timeout`: a client asking for 255 s
    would otherwise hold its slot for (retries + 1) x 255 s without saying a word.
    """
    oack: dict[str, str] = {}
    blksize = _int_option(options, "blksize", 8, None)
    if blksize is not None:
        blksize = min(blksize, MAX_BLKSIZE)     # RFC 2348: the server may answer smaller
        oack["blksize"] = str(blksize)
    timeout = _int_option(options, "timeout", 1, 255)
    if timeout is not None:
        if timeout <= max_timeout:
            oack["timeout"] = str(timeout)
        else:
            timeout = None
    if "tsize" in options:
        # in a read request the client's value means nothing (RFC 2349 says 0); atftp sends
        # the word of its `--option "tsize enable"`, and tftpd-hpa answers it: so do we
        if size:    # curl 7.88 aborts on "tsize 0" (with tftpd-hpa too); RFC 2347 lets us omit it
            oack["tsize"] = str(size)
    windowsize = _int_option(options, "windowsize", 1, 65535)
    if windowsize is not None:
        # RFC 7440 lets the server answer smaller; a window's buffers are held in memory
        windowsize = min(windowsize, max(1, MAX_WINDOW_BYTES // (blksize or 512)))
        oack["windowsize"] = str(windowsize)
    return Negotiated(blksize=blksize or 512, windowsize=windowsize or 1,
                      timeout=float(timeout) if timeout else default_timeout, oack=oack)


def _netascii(data: bytes) -> bytes:
    """LF -> CR LF, CR -> CR NUL: each byte on its own, so a chunk converts like the whole."""
    return data.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")


def netascii_size(fd: int) -> int:
    """The size of the file as netascii (its tsize and block count), in one streaming pass."""
    buf = bytearray(256 << 10)
    pos = extra = 0
    while True:
        n = os.preadv(fd, [buf], pos)
        if not n:
            return pos + extra
        extra += buf.count(b"\r", 0, n) + buf.count(b"\n", 0, n)
        pos += n


class NetasciiReader:
    """Reads a file as netascii block by block, converting as it goes: never the whole file.

    Each source byte becomes one or two bytes, so a CR LF or CR NUL pair can straddle two
    blocks. The reader keeps, for each block it may still be asked for, where that block
    starts in the source and the second half of a pair it starts with, if any. So a block
    can be read again (a lost window is resent after its buffers were given back), and
    memory stays at a few tuples, not a converted copy of the file.
    """

    def __init__(self, fd: int, keep: int) -> None:
        self.fd = fd
        self.keep = keep + 2        # block starts to remember behind the newest block read
        self._starts: dict[int, tuple[int, int]] = {1: (0, -1)}    # block -> (offset, half)

    def readinto(self, block: int, out: memoryview) -> int:
        """Fill `out` (one block's payload) with netascii block `block`; return the length.

        Blocks are read in order, except that any of the last `keep` may be read again.
        """
        pos, half = self._starts[block]
        n = 0
        if half >= 0:
            out[0] = half
            n = 1
        room = len(out) - n
        if room:
            chunk = os.pread(self.fd, room, pos)
            conv = _netascii(chunk)
            if len(conv) <= room:       # no CR or LF in it, or the end of the file
                out[n:n + len(conv)] = conv
                n += len(conv)
                pos += len(chunk)
                half = -1
            else:
                # conv[:room] holds k whole conversions and maybe the CR of a split pair;
                # every CR in converted text starts a pair, so k = room - (CRs in the cut)
                out[n:] = memoryview(conv)[:room]
                n += room
                pos += room - conv.count(b"\r", 0, room)
                if conv[room - 1] == 13:
                    half = conv[room]
                    pos += 1
                else:
                    half = -1
        self._starts[block + 1] = (pos, half)
        self._starts.pop(block + 1 - self.keep, None)
        return n


@dataclass
class Stats:
    """Counters for the one-line summary `serve_forever` prints at exit."""

    ok: int = 0
    failed: int = 0
    bytes: int = 0


class TftpServer:
    """Listens on one UDP port and runs each read request in its own thread.

    `timeout` is the retransmit timeout in seconds unless the client asks for one;
    after `retries` timeouts in a row the transfer is abandoned and cleaned up. A client
    may ask for a timeout of at most max_silence / (retries + 1) seconds (a longer one is
    declined), so no client holds a transfer silently for more than `max_silence` seconds.
    One address runs at most `max_per_client` transfers at a time (default: a quarter of
    `max_transfers`), so one client cannot take every slot.
    """

    def __init__(self, root_real: str, bind: str = "0.0.0.0", port: int = 69, *,
                 timeout: float = 1.0, retries: int = 5, max_transfers: int = 256,
                 max_per_client: int | None = None, max_silence: float = MAX_SILENCE,
                 logger: logging.Logger | None = None,
                 on_transfer: TransferSink | None = None) -> None:
        self.root_real = root_real
        self.on_transfer = on_transfer
        self.bind, self.requested_port = bind, port
        self.timeout, self.retries, self.max_transfers = timeout, retries, max_transfers
        self.max_per_client = max_per_client or max(1, max_transfers // 4)
        self.max_silence = max_silence
        self.log = logger or log
        self.family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.stats = Stats()
        self._lock = threading.Lock()
        self._active: set[_Transfer] = set()
        self._by_client: dict[tuple, _Transfer] = {}    # newest live transfer per addr+port
        self._per_host: dict[str, int] = {}
        self._stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = port

    @property
    def max_timeout(self) -> float:
        """The longest retransmit timeout a client may negotiate: see the class docstring."""
        return self.max_silence / (self.retries + 1)

    @property
    def active(self) -> int:
        """Transfers in progress (tests use it to see that stalled clients are cleaned up)."""
        with self._lock:
            return len(self._active)

    def start(self) -> None:
        """Bind (raises OSError, which the caller turns into ServeError) and start listening."""
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.bind, self.requested_port))
        except OSError:
            sock.close()
            raise
        sock.settimeout(0.2)    # how often the listener notices stop()
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._listen, name="tftp-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening, abort running transfers and wait (briefly) for their threads."""
        self._stopping.set()
        if self._thread:
            self._thread.join()
        if self._sock:
            self._sock.close()
        with self._lock:
            transfers = list(self._active)
        for t in transfers:
            t.abort()
        for t in transfers:
            t.thread.join(timeout=2)

    def _listen(self) -> None:
        assert self._sock is not None
        buf = bytearray(MAX_REQUEST + 1)
        while not self._stopping.is_set():
            try:
                n, addr = self._sock.recvfrom_into(buf)
            except TimeoutError:
                continue
            except OSError:
                continue        # e.g. an ICMP error for an earlier reply; keep serving
            try:
                self._handle(bytes(buf[:n]), addr)
            except OSError as exc:  # a reply could not be sent: that client's problem only
                self.log.debug("tftp %s: cannot reply: %s", addr, exc)

    def _reply_error(self, addr: tuple, code: int, message: str) -> None:
        assert self._sock is not None
        self._sock.sendto(error_packet(code, message), addr)
        self.log.info("tftp %s:%d refused: %s", addr[0], addr[1], message)

    def _handle(self, packet: bytes, addr: tuple) -> None:
        if len(packet) > MAX_REQUEST:
            return self._reply_error(addr, E_ILLEGAL, "request too long")
        if len(packet) < 2:
            return              # not even an opcode: nothing to answer
        opcode = packet[0] << 8 | packet[1]
        if opcode == OP_ERROR:
            return              # never answer an error with an error
        if opcode in (OP_DATA, OP_ACK, OP_OACK):
            return self._reply_error(addr, E_TID, "unknown transfer ID")
        if opcode == OP_WRQ:
            return self._reply_error(addr, E_ACCESS, "this server is read-only")
        try:
            request = parse_request(packet)
        except ProtocolError as exc:
            return self._reply_error(addr, exc.code, exc.message)
        host = addr[0]
        refused = ""
        with self._lock:
            previous = self._by_client.get(addr)
            if previous is not None and previous.is_retransmission(packet):
                return          # the client did not hear our first reply yet and asks again
            if len(self._active) >= self.max_transfers:
                refused = "server busy, try again later"
                why = f"all {self.max_transfers} transfer slots in use"
            elif self._per_host.get(host, 0) >= self.max_per_client:
                refused = "too many transfers from your address, try again later"
                why = (f"{host} already runs {self.max_per_client} transfers, the most one "
                       "address may run at a time")
            else:
                transfer = _Transfer(self, addr, request, packet)
                self._active.add(transfer)
                self._by_client[addr] = transfer
                self._per_host[host] = self._per_host.get(host, 0) + 1
        if refused:
            assert self._sock is not None
            self._sock.sendto(error_packet(E_UNDEF, refused), addr)
            self.log.warning("tftp %s:%d refused %s: %s", addr[0], addr[1],
                             quote(request.filename), why)
            return
        transfer.thread.start()

    def _finished(self, transfer: _Transfer, ok: bool, sent: int) -> None:
        """Free the slot. Called before the transfer closes its socket: the listener peeks
        at the sockets of live transfers under the same lock."""
        with self._lock:
            self._active.discard(transfer)
            if self._by_client.get(transfer.addr) is transfer:
                del self._by_client[transfer.addr]
            host = transfer.addr[0]
            left = self._per_host.get(host, 1) - 1
            if left:
                self._per_host[host] = left
            else:
                self._per_host.pop(host, None)
            if ok:
                self.stats.ok += 1
            else:
                self.stats.failed += 1
            self.stats.bytes += sent


class _Transfer:
    """One read request, from the first reply to the last ACK, in its own thread."""

    def __init__(self, server: TftpServer, addr: tuple, request: Request, packet: bytes) -> None:
        self.server, self.addr, self.request, self.packet = server, addr, request, packet
        self.sock = socket.socket(server.family, socket.SOCK_DGRAM)
        self.thread = threading.Thread(target=self.run, name=f"tftp-{addr[0]}:{addr[1]}",
                                       daemon=True)
        self._aborted = False
        self.heard = False      # the client answered us: it is past sending its request
        self.sent = 0
        self.resent = 0         # data blocks sent again: lost, or not acknowledged in time

    def is_retransmission(self, packet: bytes) -> bool:
        """Is `packet`, from this transfer's client address and port, the same request sent
        again because our first reply has not arrived? Only if it is identical and the client
        has not answered anything yet (not even queued an answer): a client that asks for
        another file, or asks again after an ACK or ERROR, starts a new transfer.
        Called under the server's lock, while this transfer's socket is open."""
        if packet != self.packet or self.heard:
            return False
        try:
            self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True         # nothing from the client waiting for us
        except OSError:
            return False
        return False

    def abort(self) -> None:
        """Wake the thread out of recv (shutdown does that for UDP on Linux)."""
        self._aborted = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def run(self) -> None:
        srv, req = self.server, self.request
        start = time.monotonic()
        opened: OpenFile | None = None
        opts = Negotiated()
        outcome, ok = "ok", False
        try:
            self.sock.bind((srv.bind, 0))
            self.sock.connect(self.addr)
            self.sock.setblocking(True)
            try:
                opened = open_inside(srv.root_real, req.filename)
            except Refused as exc:
                code = E_NOT_FOUND if exc.not_found else E_ACCESS
                raise ProtocolError(code, exc.reason) from None
            netascii = req.mode == "netascii"
            size = netascii_size(opened.fd) if netascii else opened.size
            opts = negotiate(req.options, size, min(srv.timeout, srv.max_timeout),
                             srv.max_timeout)
            self._set_timeout(opts.timeout)
            if opts.oack:
                self._handshake(opts)
            self._send_file(opened.fd, size, opts.blksize, opts.windowsize, opts.timeout,
                            netascii)
            ok = True
        except ProtocolError as exc:
            outcome = f"refused: {exc.message}"
            self._send_quietly(error_packet(exc.code, exc.message))
        except _ClientEnded as exc:
            outcome = f"failed: {exc}"
        except _GiveUp as exc:
            outcome = f"failed: {exc}"
            if not self._aborted:
                self._send_quietly(error_packet(E_UNDEF, str(exc)))
        except OSError as exc:
            outcome = f"failed: {exc.strerror or exc}"
        finally:
            if opened is not None:
                os.close(opened.fd)
            srv._finished(self, ok, self.sent)
            self.sock.close()
            elapsed = time.monotonic() - start
            opt_text = " ".join(f"{k}={v}" for k, v in opts.oack.items()) or "no options"
            rate = self.sent / elapsed / 1e6 if elapsed > 0 else 0.0
            srv.log.info("tftp %s:%d %s %s %s: %s, %d bytes in %.3f s (%.1f MB/s)%s",
                         self.addr[0], self.addr[1], quote(req.filename), req.mode, opt_text,
                         outcome, self.sent, elapsed, rate,
                         f", {self.resent} blocks resent" if self.resent else "")
            if srv.on_transfer is not None:
                srv.on_transfer(Transfer("tftp", self.addr[:2], req.filename, outcome,
                                         self.sent, elapsed, self.resent))

    def _send_quietly(self, packet: bytes) -> None:
        try:
            self.sock.send(packet)
        except OSError:
            pass

    def _set_timeout(self, seconds: float) -> None:
        """Kernel receive timeout on a blocking socket: one recv syscall per ACK.

        Python's own `settimeout` polls before every send and recv, which doubles the
        syscalls on the hot path; a timed-out recv here raises BlockingIOError instead.
        """
        sec = int(seconds)
        usec = max(int((seconds - sec) * 1e6), 1 if sec == 0 else 0)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", sec, usec))

    def _check_aborted(self) -> None:
        if self._aborted:
            raise _GiveUp("server stopping")

    def _handshake(self, opts: Negotiated) -> None:
        """Send the OACK until the client acknowledges it with ACK 0 (RFC 2347)."""
        oack = struct.pack(">H", OP_OACK) + b"".join(
            k.encode() + b"\0" + v.encode() + b"\0" for k, v in opts.oack.items())
        buf = bytearray(516)
        for _ in range(self.server.retries + 1):
            self.sock.send(oack)
            deadline = time.monotonic() + opts.timeout
            while True:
                self._check_aborted()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._set_timeout(remaining)
                try:
                    n = self.sock.recv_into(buf)
                except BlockingIOError:
                    break
                if n >= 4 and buf[0] == 0 and buf[1] == OP_ACK:
                    if buf[2] == 0 and buf[3] == 0:
                        self.heard = True
                        self._set_timeout(opts.timeout)
                        return
                elif n >= 4 and buf[0] == 0 and buf[1] == OP_ERROR:
                    self.heard = True
                    raise _ClientEnded("client refused the options: " + _error_text(buf, n))
        raise _GiveUp("client did not acknowledge the options")

    def _send_file(self, fd: int, size: int, blksize: int, window: int, interval: float,
                   netascii: bool = False) -> None:
        """The hot path: send windows of blocks, restart after the last ACKed one on loss.

        Block numbers are absolute here and wrap to 0 after 65535 on the wire, as curl,
        tftp-hpa and atftp expect. ACKs are mapped back by their 16-bit distance from the
        last acknowledged block; duplicates and stale ones are ignored (no Sorcerer's
        Apprentice), a mid-window ACK restarts the window after it (RFC 7440).

        A window is resent `interval` seconds after it was sent, counted from the send:
        duplicate ACKs or junk arriving in between do not restart that clock, or a client
        repeating an old ACK faster than the interval would never get the lost block.
        """
        total = size // blksize + 1          # the last block is short, possibly empty
        # two windows of slots: the next window is read while the client handles this one,
        # so after an ACK only `send` calls stand between the client and its next data.
        # They live in an anonymous mapping: a page costs memory only once a block is read
        # into it, and is given back (MADV_DONTNEED) when nobody may be listening.
        nslots = min(2 * window, total)
        stride = 4 + blksize
        pool = mmap.mmap(-1, nslots * stride)
        whole = memoryview(pool)
        views = [whole[i * stride:(i + 1) * stride] for i in range(nslots)]
        payloads = [(v[4:],) for v in views]
        ready: list[memoryview] = list(views)   # the datagram each slot holds
        held = [-1] * nslots                    # the block each slot holds
        rbuf = bytearray(516)
        sock, preadv, pack_into = self.sock, os.preadv, struct.pack_into
        send, recv_into, monotonic = sock.send, sock.recv_into, time.monotonic
        retries = self.server.retries
        acked, nxt, tries, top = 0, 1, 0, 0     # top: the highest block sent so far
        sent_at, full_wait = 0.0, True          # full_wait: SO_RCVTIMEO is `interval`

        if netascii:
            reader = NetasciiReader(fd, 2 * window)

            def load(block: int) -> None:
                i = block % nslots
                got = reader.readinto(block, payloads[i][0])
                pack_into(">HH", views[i], 0, OP_DATA, block & 0xFFFF)
                ready[i] = views[i] if got == blksize else views[i][:4 + got]
                held[i] = block
        else:
            def load(block: int) -> None:
                i = block % nslots
                got = preadv(fd, payloads[i], (block - 1) * blksize)
                pack_into(">HH", views[i], 0, OP_DATA, block & 0xFFFF)
                ready[i] = views[i] if got == blksize else views[i][:4 + got]
                held[i] = block

        try:
            try:
                while acked < total:
                    end = acked + window
                    if end > total:
                        end = total
                    if nxt <= end:
                        if nxt <= top:      # counted per window, not per packet: the hot loop
                            self.resent += (end if end < top else top) - nxt + 1
                        while nxt <= end:
                            i = nxt % nslots
                            if held[i] != nxt:
                                load(nxt)
                            send(ready[i])
                            nxt += 1
                        if end > top:
                            top = end
                        sent_at = monotonic()
                        if not full_wait:
                            self._set_timeout(interval)
                            full_wait = True
                        if tries or not acked:
                            # a sent window is needed again only if it is lost: a client that
                            # has taken no block yet, or went silent, holds none of its pages
                            pool.madvise(mmap.MADV_DONTNEED)
                            held = [-1] * nslots
                        else:           # read ahead only for a client that is taking blocks
                            ahead = end + window
                            if ahead > total:
                                ahead = total
                            for block in range(nxt, ahead + 1):
                                if held[block % nslots] != block:
                                    load(block)
                    try:
                        n = recv_into(rbuf)
                    except BlockingIOError:
                        n = -1
                    if n >= 4 and rbuf[0] == 0 and rbuf[1] == OP_ACK:
                        delta = ((rbuf[2] << 8 | rbuf[3]) - acked) & 0xFFFF
                        # any block sent so far counts, not only this round's: after a timeout
                        # rewound `nxt`, the client's ACK of a block it got before the rewind
                        # (its final one, say) must still end the wait
                        if 0 < delta <= top - acked:
                            acked += delta
                            tries = 0
                            self.heard = True
                            nxt = acked + 1     # a mid-window ACK restarts the window after it
                            continue
                    elif n >= 4 and rbuf[0] == 0 and rbuf[1] == OP_ERROR:
                        self.heard = True
                        raise _ClientEnded("client aborted: " + _error_text(rbuf, n))
                    elif n == 0:
                        self._check_aborted()
                    if n >= 0:          # a duplicate or stray packet: the clock keeps running
                        remaining = sent_at + interval - monotonic()
                        if remaining > 0:
                            self._set_timeout(remaining)
                            full_wait = False
                            continue
                    tries += 1
                    if tries > retries:
                        raise _GiveUp(f"no ACK after {retries} retransmissions")
                    nxt = acked + 1
            except ConnectionRefusedError:
                # the client's port is closed (an ICMP error on our socket): a client that got
                # the last block acknowledged it and left, and that ACK may be queued behind
                # the error. Read what is queued before counting the transfer as failed.
                acked = self._acks_left_behind(rbuf, acked, top, interval)
                if acked < total:
                    raise
        finally:
            self.sent = min(acked * blksize, size)
            del ready, payloads, views, whole
            try:
                pool.close()    # unmap now rather than when the collector gets to it
            except BufferError:
                pass            # a traceback still holds a view; the mapping goes with it


    def _acks_left_behind(self, rbuf: bytearray, acked: int, top: int, wait: float) -> int:
        """The highest block acknowledged by ACKs still queued on the socket (see caller)."""
        self._set_timeout(min(wait, 0.2))
        while True:
            try:
                n = self.sock.recv_into(rbuf)
            except (BlockingIOError, ConnectionRefusedError):
                return acked
            if n >= 4 and rbuf[0] == 0 and rbuf[1] == OP_ACK:
                delta = ((rbuf[2] << 8 | rbuf[3]) - acked) & 0xFFFF
                if 0 < delta <= top - acked:
                    acked += delta


def _error_text(buf: bytearray, n: int) -> str:
    """The message of a client's ERROR packet, quoted for the log."""
    return quote(bytes(buf[4:n]).split(b"\0")[0].decode("ascii", "replace") or "(no message)")
