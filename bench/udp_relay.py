"""A UDP relay that delays (and optionally drops) datagrams, for TFTP benchmarks and tests.

The kernel here has no netem qdisc, so round-trip delay is added in user space: every
datagram is held `delay` seconds in each direction. TFTP answers from a new port per
transfer (its TID), so the relay mirrors that: the first reply from a new server port
gets a new client-facing socket, and the client's ACKs to it go to that server port.
Only loopback addresses are used.
"""
from __future__ import annotations

import collections
import select
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Session:
    client: tuple
    back: socket.socket                                  # relay <-> server
    fronts: dict[int, socket.socket] = field(default_factory=dict)  # server port -> socket


class UdpRelay:
    """Forward client <-> `server` with `delay` s each way; drop every `drop_every`-th datagram.

    Use as a context manager; clients talk to ("127.0.0.1", relay.port).
    """

    def __init__(self, server: tuple[str, int], delay: float = 0.0005, drop_every: int = 0,
                 host: str = "127.0.0.1") -> None:
        self.server, self.delay, self.drop_every, self.host = server, delay, drop_every, host
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((host, 0))
        self.port = self.front.getsockname()[1]
        self.forwarded = self.dropped = 0
        self._sessions: dict[tuple, _Session] = {}
        self._route: dict[socket.socket, tuple[str, _Session | None, int]] = {
            self.front: ("front", None, 0)}
        self._queue: collections.deque = collections.deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="udp-relay", daemon=True)

    def __enter__(self) -> UdpRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self._route:
            sock.close()

    def _new_socket(self) -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((self.host, 0))
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        return s

    def _forward(self, sock: socket.socket, data: bytes, dest: tuple) -> None:
        self.forwarded += 1
        if self.drop_every and self.forwarded > 1 and self.forwarded % self.drop_every == 0:
            self.dropped += 1
            return
        if self.delay:
            self._queue.append((time.perf_counter() + self.delay, sock, data, dest))
        else:
            sock.sendto(data, dest)

    def _receive(self, sock: socket.socket) -> None:
        kind, session, server_port = self._route[sock]
        while True:
            try:
                data, addr = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return          # e.g. ICMP port unreachable from a finished transfer
            if kind == "front":          # a new request from a client
                session = self._sessions.get(addr)
                if session is None:
                    session = _Session(addr, self._new_socket())
                    self._sessions[addr] = session
                    self._route[session.back] = ("back", session, 0)
                self._forward(session.back, data, self.server)
            elif kind == "back":         # from the server, possibly from a new TID
                assert session is not None
                front = session.fronts.get(addr[1])
                if front is None:
                    front = session.fronts[addr[1]] = self._new_socket()
                    self._route[front] = ("tid", session, addr[1])
                self._forward(front, data, session.client)
            else:                        # from the client to a server TID
                assert session is not None
                self._forward(session.back, data, (self.server[0], server_port))

    def _run(self) -> None:
        self.front.setblocking(False)
        queue = self._queue
        while not self._stop.is_set():
            timeout = 0.1
            if queue:
                timeout = max(0.0, queue[0][0] - time.perf_counter())
            readable, _, _ = select.select(list(self._route), [], [], timeout)
            for sock in readable:
                self._receive(sock)
            now = time.perf_counter()
            while queue and queue[0][0] <= now:
                _, sock, data, dest = queue.popleft()
                try:
                    sock.sendto(data, dest)
                except OSError:
                    pass


def main() -> None:
    """Run as its own process (so it shares no GIL with a Python server being measured).

    Prints the relay's port on one line, then relays until SIGTERM or stdin closes.
    """
    import argparse
    import signal
    import sys

    ap = argparse.ArgumentParser(description="delaying UDP relay for TFTP")
    ap.add_argument("server", help="host:port of the TFTP server")
    ap.add_argument("--delay", type=float, default=0.0005, help="seconds each way")
    ap.add_argument("--drop-every", type=int, default=0)
    args = ap.parse_args()
    host, _, port = args.server.rpartition(":")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with UdpRelay((host, int(port)), args.delay, args.drop_every) as relay:
        print(relay.port, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
