"""Helpers for the serve tests: raw TFTP packets and a deliberately lossy TFTP client."""
from __future__ import annotations

import importlib.util
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path

RELAY_PATH = Path(__file__).resolve().parent.parent / "bench" / "udp_relay.py"


def load_relay():
    """bench/udp_relay.py is a script directory, not a package: load it by path."""
    spec = importlib.util.spec_from_file_location("udp_relay", RELAY_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("udp_relay", module)
    spec.loader.exec_module(module)
    return module.UdpRelay


def rrq(name: bytes | str, mode: bytes = b"octet", **options: object) -> bytes:
    if isinstance(name, str):
        name = name.encode()
    opts = b"".join(k.encode() + b"\0" + str(v).encode() + b"\0" for k, v in options.items())
    return b"\0\1" + name + b"\0" + mode + b"\0" + opts


def exchange(port: int, packet: bytes, timeout: float = 3.0) -> tuple[int, int, str]:
    """Send one datagram from a fresh socket; return (opcode, error code or block, text)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, ("127.0.0.1", port))
        data, _ = s.recvfrom(65536)
    opcode, second = struct.unpack(">HH", data[:4])
    return opcode, second, data[4:].rstrip(b"\0").decode("ascii", "replace")


def oack(port: int, packet: bytes) -> dict[str, str]:
    """The options a server acknowledges for `packet` (then abandons that transfer)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(packet, ("127.0.0.1", port))
        data, addr = s.recvfrom(65536)
        s.sendto(struct.pack(">HH", 5, 0) + b"done\0", addr)
    assert data[:2] == b"\0\6", f"expected an OACK, got {data[:40]!r}"
    fields = data[2:].split(b"\0")[:-1]
    return {fields[i].decode(): fields[i + 1].decode() for i in range(0, len(fields), 2)}


def no_reply(port: int, packet: bytes, wait: float = 0.5) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(wait)
        s.sendto(packet, ("127.0.0.1", port))
        try:
            s.recvfrom(65536)
        except TimeoutError:
            return True
    return False


def lossy_fetch(port: int, name: str, blksize: int = 512, windowsize: int = 1,
                drop_data: Callable[[int], bool] = lambda i: False,
                drop_ack: Callable[[int], bool] = lambda i: False,
                timeout: float = 0.3, max_idle: int = 30, source: str | None = None,
                mode: bytes = b"octet") -> bytes:
    """Fetch like an RFC 7440 client, but lose the DATA/ACK packets the predicates pick.

    `drop_data(i)` sees the count of DATA datagrams received so far, `drop_ack(i)` the
    count of ACKs about to be sent; the final ACK is never dropped. `source` is the local
    address to send from (another 127.x address is another client host on loopback).
    """
    opts = {}
    if blksize != 512:
        opts["blksize"] = blksize
    if windowsize != 1:
        opts["windowsize"] = windowsize
    out = bytearray()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        if source:
            s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(rrq(name, mode, **opts), ("127.0.0.1", port))
        server = None
        expected, in_window, received, acks, idle = 1, 0, 0, 0, 0

        def ack(block: int, final: bool = False) -> None:
            nonlocal acks
            acks += 1
            if final or not drop_ack(acks):
                s.sendto(struct.pack(">HH", 4, block & 0xFFFF), server)

        while True:
            try:
                data, addr = s.recvfrom(65536)
            except TimeoutError:
                idle += 1
                if idle > max_idle:
                    raise AssertionError("server stopped sending") from None
                if server is None:
                    s.sendto(rrq(name, mode, **opts), ("127.0.0.1", port))
                else:
                    ack(expected - 1)
                    in_window = 0
                continue
            idle = 0
            if server is None:
                server = addr
            elif addr != server:
                continue
            op, block = struct.unpack(">HH", data[:4])
            if op == 5:
                raise AssertionError(f"server error {block}: {data[4:-1].decode()}")
            if op == 6:
                ack(0)
                continue
            assert op == 3, f"unexpected opcode {op}"
            received += 1
            if drop_data(received):
                continue
            if block == expected & 0xFFFF:
                out += data[4:]
                in_window += 1
                if len(data) - 4 < blksize:
                    ack(expected, final=True)
                    return bytes(out)
                if in_window == windowsize:
                    ack(expected)
                    in_window = 0
                expected += 1
            else:                        # gap or duplicate: tell where we are
                ack(expected - 1)
                in_window = 0


def recv_from(sock: socket.socket, timeout: float) -> tuple[bytes, tuple] | None:
    """The next datagram on `sock` within `timeout` seconds, or None."""
    sock.settimeout(timeout)
    try:
        return sock.recvfrom(65536)
    except TimeoutError:
        return None


def rss_kib() -> int:
    """This process's resident memory (the servers in these tests run in it)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")
