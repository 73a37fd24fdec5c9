"""Cheap attacks on lfsbuild's TFTP server, replayed on 127.0.0.1 (issue 12).

Each one is bounded in count and time and stops by itself. Raw sockets play the attacker
(bound to 127.0.0.2 where a second client host is needed: all of 127/8 is loopback on
Linux); the victim is a real tftp-hpa client or a well-behaved raw client.
"""
from __future__ import annotations

import logging
import os
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest
from serve_helpers import lossy_fetch, recv_from, rrq, rss_kib

from lfsbuild.errors import ServeError
from lfsbuild.netboot.serve import BootServer
from lfsbuild.netboot.serve.tftp import negotiate, quote

pytestmark = pytest.mark.needs("tftp", package="tftp-hpa")

ATTACKER = "127.0.0.2"
ACK0 = b"\0\4\0\0"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tftpattack")
    (root / "big").write_bytes(os.urandom(4 << 20))
    (root / "small").write_bytes(os.urandom(1500))     # 3 blocks of 512
    (root / "other").write_bytes(os.urandom(700))      # 2 blocks of 512
    return root


@pytest.fixture(scope="module")
def server(root: Path):
    with BootServer(root, "127.0.0.1", 0, None, timeout=0.5, retries=4) as srv:
        yield srv


def attacker_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ATTACKER, 0))
    return s


def open_silent(port: int, count: int, **options: object) -> tuple[list[socket.socket], int]:
    """`count` transfers of "big" from ATTACKER that ACK the OACK, then say nothing.

    Returns the sockets whose transfer started and how many were refused with an ERROR.
    """
    started: list[socket.socket] = []
    refused = 0
    for _ in range(count):
        s = attacker_socket()
        s.sendto(rrq("big", **options), ("127.0.0.1", port))
        got = recv_from(s, 3)
        assert got is not None, "no answer to a request"
        data, tid = got
        if data[:2] == b"\0\5":
            refused += 1
            s.close()
            continue
        assert data[:2] == b"\0\6", data[:20]
        s.sendto(ACK0, tid)
        started.append(s)
    return started, refused


def wait_until(predicate, within: float, what: str) -> float:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < within, what
        time.sleep(0.05)
    return time.monotonic() - start


# --- 1. silent clients asking for timeout=255 cannot lock everyone else out ---

def test_silent_clients_from_one_address_leave_slots_for_others(root, tmp_path, caplog):
    """The issue's attack with the default settings: 256 requests with timeout=255 that ACK
    the OACK and go silent. Before: every slot taken, `tftp get` got "server busy"."""
    with caplog.at_level(logging.INFO, logger="lfsbuild.netboot.serve"), \
            BootServer(root, "127.0.0.1", 0, None) as srv:
        socks, refused = open_silent(srv.tftp_port, 256, timeout=255, blksize=1468)
        try:
            out = tmp_path / "got"
            start = time.monotonic()
            r = subprocess.run(["tftp", "127.0.0.1", str(srv.tftp_port), "-c", "get", "small",
                                str(out)], capture_output=True, text=True, timeout=30)
            assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr
            assert out.read_bytes() == (root / "small").read_bytes()
            assert time.monotonic() - start < 5
            assert (len(socks), refused) == (64, 256 - 64)      # a quarter of the 256 slots
        finally:
            for s in socks:
                s.close()
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 256 - 64
    assert "127.0.0.2 already runs 64 transfers" in refusals[0], refusals[0]


def test_silent_clients_are_dropped_within_the_bound(root):
    """Whatever timeout a client asks for, silence ends its transfer in bounded time."""
    with BootServer(root, "127.0.0.1", 0, None, timeout=0.2, retries=2) as srv:
        socks, refused = open_silent(srv.tftp_port, 8, timeout=255, blksize=1468)
        try:
            assert (len(socks), refused) == (8, 0)
            # (retries + 1) x 0.2 s; before, the OACK said timeout=255 and this took 765 s
            took = wait_until(lambda: srv.tftp.active == 0, 5, "silent transfers not dropped")
            assert took < 3
            assert srv.tftp.stats.failed == 8
            # the 255 s asked for is declined, not acknowledged and then ignored
            with attacker_socket() as s:
                s.sendto(rrq("small", timeout=255, blksize=1468), ("127.0.0.1", srv.tftp_port))
                assert recv_from(s, 3)[0] == b"\0\6blksize\0" + b"1468\0"
        finally:
            for s in socks:
                s.close()


def test_max_silence_caps_the_negotiable_timeout(root):
    with BootServer(root, "127.0.0.1", 0, None, timeout=0.2, retries=2, max_silence=3) as srv:
        assert srv.tftp.max_timeout == 1.0
        s = attacker_socket()
        with s:
            s.sendto(rrq("small", timeout=1), ("127.0.0.1", srv.tftp_port))
            data, tid = recv_from(s, 3)
            assert data == b"\0\6timeout\0" + b"1\0"       # within the cap: acknowledged
            s.sendto(ACK0, tid)
            start = time.monotonic()
            while recv_from(s, 0.5) is not None:           # DATA 1 and its retransmissions
                pass
            wait_until(lambda: srv.tftp.active == 0, 5, "silent transfer not dropped")
            assert time.monotonic() - start < 3 + 1
    assert negotiate({"timeout": "2"}, 5, 0.2, 1.0).oack == {}        # above it: declined
    with pytest.raises(ServeError, match="max_silence"):
        BootServer(root, timeout=10, retries=5, max_silence=30)


def test_silent_transfers_give_their_buffers_back(root):
    """blksize 65464 x windowsize 8: 1 MiB of buffers per transfer before (RSS 32 -> 303 MB
    with 256 of them); now a window sent to a client that takes nothing is not kept."""
    with BootServer(root, "127.0.0.1", 0, None, timeout=0.3, retries=10) as srv:
        before = rss_kib()
        socks, refused = open_silent(srv.tftp_port, 64, blksize=65464, windowsize=8)
        try:
            assert (len(socks), refused) == (64, 0)
            time.sleep(1.0)      # the first window, then retransmissions every 0.3 s
            grown = (rss_kib() - before) / 1024
            for s in socks:      # they were sent (the socket buffers keep the first few)
                assert recv_from(s, 1) is not None
            assert srv.tftp.active == 64
            assert grown < 16, f"64 silent transfers hold {grown:.0f} MiB"
        finally:
            for s in socks:
                s.close()


# --- 2. duplicate ACKs do not hold back the retransmission of a lost block ---

def test_duplicate_acks_do_not_restart_the_retransmit_clock(server, root):
    data = (root / "small").read_bytes()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(rrq("small"), ("127.0.0.1", server.tftp_port))
        block1, tid = recv_from(s, 3)
        assert block1[:4] == b"\0\3\0\1"
        s.sendto(b"\0\4\0\1", tid)
        lost, _ = recv_from(s, 3)                  # DATA 2: "lost", never acknowledged
        assert lost[:4] == b"\0\3\0\2"
        start = time.monotonic()
        again = None
        while again is None and time.monotonic() - start < 3:
            s.sendto(b"\0\4\0\1", tid)             # ACK 1 again, every 0.1 s (timeout 0.5 s)
            got = recv_from(s, 0.1)
            if got is not None and got[0][:4] == b"\0\3\0\2":
                again = time.monotonic() - start
        assert again is not None, "DATA 2 never resent while duplicate ACKs kept coming"
        assert again < 1.5
        s.sendto(b"\0\4\0\2", tid)
        last, _ = recv_from(s, 3)
        s.sendto(b"\0\4\0\3", tid)
    assert lost[4:] + last[4:] == data[512:]


# --- 5. a new request from a port that just made one is served ---

def test_another_request_from_the_same_port_is_served(server, root):
    """From one port: A answered, then B at once (A still running): B was dropped."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(rrq("small"), ("127.0.0.1", server.tftp_port))
        a, tid_a = recv_from(s, 3)
        assert a[:4] == b"\0\3\0\1" and a[4:] == (root / "small").read_bytes()[:512]
        s.sendto(rrq("other"), ("127.0.0.1", server.tftp_port))
        while True:
            got = recv_from(s, 1)
            assert got is not None, "the request for another file was dropped"
            if got[1] != tid_a:
                break
        b, tid_b = got
        assert b[:4] == b"\0\3\0\1" and b[4:] == (root / "other").read_bytes()[:512]


def test_same_request_again_after_the_transfer_ended_is_served(server, root):
    data = (root / "other").read_bytes()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(3):
            s.sendto(rrq("other"), ("127.0.0.1", server.tftp_port))
            got = bytearray()
            block = 1
            while True:
                reply = recv_from(s, 1)
                assert reply is not None, "a repeated request from the same port was dropped"
                packet, tid = reply
                if packet[:4] != b"\0\3" + struct.pack(">H", block):
                    continue
                got += packet[4:]
                s.sendto(b"\0\4" + struct.pack(">H", block), tid)
                if len(packet) < 516:
                    break
                block += 1
            assert got == data


def test_a_retransmitted_request_does_not_start_a_second_transfer(root):
    with BootServer(root, "127.0.0.1", 0, None, timeout=0.5, retries=2) as srv:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(3):
                s.sendto(rrq("small", blksize=1468), ("127.0.0.1", srv.tftp_port))
            oack, tid = recv_from(s, 3)
            assert oack[:2] == b"\0\6"
            assert srv.tftp.active == 1
            time.sleep(0.2)
            assert srv.tftp.active == 1
            s.sendto(b"\0\5\0\0stop\0", tid)


# --- 6. a client's ERROR is not answered ---

@pytest.mark.parametrize("when", ["after the OACK", "during data"])
def test_client_error_is_not_answered(server, when):
    options = {"tsize": 0} if when == "after the OACK" else {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(rrq("big", **options), ("127.0.0.1", server.tftp_port))
        first, tid = recv_from(s, 3)
        assert first[:2] == (b"\0\6" if options else b"\0\3")
        s.sendto(b"\0\5\0\0aborted after learning tsize\0", tid)
        while (got := recv_from(s, 0.8)) is not None:
            assert got[0][:2] != b"\0\5", f"the server answered an ERROR: {got[0]!r}"
            # a DATA/OACK retransmission that crossed our ERROR is fine; nothing after it
        # and a PXE ROM's next request from the same port is served at once
        s.sendto(rrq("small"), ("127.0.0.1", server.tftp_port))
        assert recv_from(s, 1)[0][:4] == b"\0\3\0\1"


# --- 4. what a client sends reaches the log quoted ---

FORGED = 'x\ntftp 10.0.0.1:69 "pxelinux.0" octet no options: ok\x1b[2J\x07\x9b'


def test_client_strings_are_quoted_in_the_log(server, caplog):
    with caplog.at_level(logging.INFO, logger="lfsbuild.netboot.serve"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(rrq(FORGED.encode("utf-8", "surrogateescape")),
                     ("127.0.0.1", server.tftp_port))
            assert recv_from(s, 3)[0][:2] == b"\0\5"          # file not found
            s.sendto(rrq("big"), ("127.0.0.1", server.tftp_port))
            _, tid = recv_from(s, 3)
            s.sendto(b"\0\5\0\0bye\nforged line\x1b[31m\0", tid)
            for packet in (rrq("big", b"mail\n\x1b[0m"), rrq("big", blksize="1\n\x1b[0m")):
                s.sendto(packet, ("127.0.0.1", server.tftp_port))
                assert recv_from(s, 3)[0][:2] == b"\0\5"
        wait_until(lambda: sum("tftp 127.0.0.1" in r.getMessage() for r in caplog.records) >= 4,
                   3, "no log lines")
    lines = [r.getMessage() for r in caplog.records]
    for line in lines:
        assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in line), repr(line)
    assert any(quote(FORGED) in line for line in lines), lines
    assert any('"bye\\nforged line\\x1b[31m"' in line for line in lines), lines
    assert any('mode "mail\\n\\x1b[0m"' in line for line in lines), lines
    assert any('blksize="1\\n\\x1b[0m"' in line for line in lines), lines


def test_quote():
    assert quote("pxelinux.cfg/01-aa") == '"pxelinux.cfg/01-aa"'
    assert quote('a"b\\c\n\r\t\x1b\x7f') == '"a\\"b\\\\c\\n\\r\\t\\x1b\\x7f"'
    assert quote("é\udcff") == '"\\xc3\\xa9\\xff"'


# --- and after all of that the server still serves everyone ---

def test_server_still_serves_after_the_attacks(server, root):
    assert lossy_fetch(server.tftp_port, "small", source=ATTACKER) == \
        (root / "small").read_bytes()
