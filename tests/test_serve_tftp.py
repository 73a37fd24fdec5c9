"""TFTP server against real clients (curl, tftp-hpa, atftp) and hostile input, on 127.0.0.1."""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import subprocess
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from serve_helpers import exchange, load_relay, lossy_fetch, no_reply, oack, rrq
from waiting import wait_until

from lfsbuild.errors import ServeError
from lfsbuild.netboot.serve import BootServer
from lfsbuild.netboot.serve.tftp import (
    E_ACCESS,
    E_ILLEGAL,
    E_NOT_FOUND,
    E_OPTION,
    E_TID,
    NetasciiReader,
    ProtocolError,
    negotiate,
    netascii_size,
    parse_request,
)

pytestmark = [pytest.mark.needs("curl", package="curl"),
              pytest.mark.needs("tftp", package="tftp-hpa"),
              pytest.mark.needs("atftp", package="atftp")]

BIG = 65536 * 512 + 777          # > 65535 blocks at 512 bytes: block numbers roll over


def _content(size: int, seed: int = 0) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 2048   # 64 KiB, not all zero
    return (block * (size // len(block) + 1))[:size]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tftproot")
    for size in (0, 512, 512 * 37, 1468, 1468 * 23, 8192, 8192 * 5, 100_000):
        (root / f"f{size}").write_bytes(_content(size, size))
    (root / "sub").mkdir()
    (root / "sub" / "inner.txt").write_bytes(b"line one\nline two\r\nbare cr\r end\n")
    (root / "sub" / "long.txt").write_bytes(_text_with_pairs_everywhere(50_000))
    (root / "inside-link").symlink_to("f512")
    (root / "escape-link").symlink_to("/etc/passwd")
    (root / "dir-link").symlink_to("/etc")
    os.mkfifo(root / "fifo")
    return root


@pytest.fixture(scope="module")
def server(root: Path):
    with BootServer(root, "127.0.0.1", 0, 0, timeout=0.5, retries=4) as srv:
        yield srv


def fetch(tool: str, port: int, name: str, out: Path, blksize: int = 512,
          window: int = 1, mode: str = "binary") -> subprocess.CompletedProcess:
    if tool == "curl":
        cmd = ["curl", "-sS", "-o", str(out)]
        if blksize != 512:
            cmd += ["--tftp-blksize", str(blksize)]
        cmd.append(f"tftp://127.0.0.1:{port}/{name}")
    elif tool == "tftp":
        assert blksize == 512, "tftp-hpa's client negotiates no options"
        cmd = ["tftp", "-m", mode, "127.0.0.1", str(port), "-c", "get", name, str(out)]
    else:
        cmd = ["atftp", "-g", "-r", name, "-l", str(out)]
        if blksize != 512:
            cmd += ["--option", f"blksize {blksize}"]
        if window != 1:
            cmd += ["--option", f"windowsize {window}"]
        cmd += ["127.0.0.1", str(port)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


# (client, blksize, windowsize): every real client, with and without options
CONFIGS = [("curl", 512, 1), ("curl", 1468, 1), ("curl", 8192, 1), ("tftp", 512, 1),
           ("atftp", 512, 1), ("atftp", 1468, 1), ("atftp", 1468, 16)]


@pytest.mark.parametrize("tool,blksize,window", CONFIGS)
@pytest.mark.parametrize("blocks", [0, 1, 37, 5], ids=["0B", "1block", "37blocks", "5+"])
def test_real_clients_get_identical_bytes(server, root, tmp_path, tool, blksize, window,
                                          blocks):
    size = blocks * blksize
    name = f"f{size}" if (root / f"f{size}").exists() else "f100000"
    if blocks == 5:
        name = "f100000"         # not a multiple of any block size
    out = tmp_path / "out"
    r = fetch(tool, server.tftp_port, name, out, blksize, window)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == (root / name).read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("tool,window", [("curl", 1), ("tftp", 1), ("atftp", 1), ("atftp", 8)])
def test_block_numbers_roll_over(tmp_path, tool, window):
    (tmp_path / "root").mkdir()
    data = _content(BIG, 7)
    (tmp_path / "root" / "big").write_bytes(data)
    with BootServer(tmp_path / "root", "127.0.0.1", 0, None) as srv:
        r = fetch(tool, srv.tftp_port, "big", tmp_path / "out", 512, window)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out").read_bytes() == data


def test_netascii_is_converted(server, root, tmp_path):
    out = tmp_path / "out"
    r = fetch("tftp", server.tftp_port, "sub/inner.txt", out, mode="netascii")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == (root / "sub" / "inner.txt").read_bytes()


def test_netascii_on_the_wire(server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(rrq("sub/inner.txt", b"NetASCII"), ("127.0.0.1", server.tftp_port))
        data, addr = s.recvfrom(600)
        s.sendto(b"\0\4\0\1", addr)
    assert data[4:] == b"line one\r\nline two\r\0\r\nbare cr\r\0 end\r\n"


def _text_with_pairs_everywhere(size: int) -> bytes:
    """Text whose CR, LF and CR LF fall on every offset modulo small block sizes."""
    pieces = [b"x" * (i % 23) + (b"\r\n", b"\n", b"\r", b"\n\r", b"\r\r\n\n")[i % 5]
              for i in range(997)]
    unit = b"".join(pieces)
    return (unit * (size // len(unit) + 1))[:size]


def _read_all(reader: NetasciiReader, blksize: int, blocks: int) -> bytes:
    out, buf = bytearray(), bytearray(blksize)
    for block in range(1, blocks + 1):
        n = reader.readinto(block, memoryview(buf))
        out += buf[:n]
    return bytes(out)


@pytest.mark.parametrize("blksize", [8, 9, 512, 1468])
def test_netascii_streaming_matches_whole_file_conversion(tmp_path, blksize):
    """Block by block, pairs split across blocks included, equals the old whole-file copy."""
    data = _text_with_pairs_everywhere(300_000)
    whole = data.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")     # the old conversion
    (tmp_path / "t").write_bytes(data)
    fd = os.open(tmp_path / "t", os.O_RDONLY)
    try:
        assert netascii_size(fd) == len(whole)
        blocks = len(whole) // blksize + 1
        assert _read_all(NetasciiReader(fd, 2), blksize, blocks) == whole
        # a window read again (its buffers were given back) reads the same
        reader, buf = NetasciiReader(fd, 8), bytearray(blksize)
        for block in range(1, 60):
            reader.readinto(block, memoryview(buf))
        for block in range(52, 60):
            n = reader.readinto(block, memoryview(buf))
            assert bytes(buf[:n]) == whole[(block - 1) * blksize:block * blksize]
    finally:
        os.close(fd)


def test_netascii_streams_in_bounded_memory(tmp_path):
    """Before: a converted copy of the whole file per transfer (about 2x its size)."""
    (tmp_path / "root").mkdir()
    data = _text_with_pairs_everywhere(6 << 20)
    (tmp_path / "root" / "text").write_bytes(data)
    out = tmp_path / "out"
    with BootServer(tmp_path / "root", "127.0.0.1", 0, None) as srv:
        tracemalloc.start()
        try:
            r = fetch("tftp", srv.tftp_port, "text", out, mode="netascii")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == data            # tftp-hpa converts back
    assert peak < 2 << 20, f"peak {peak / 2**20:.1f} MiB for a 6 MiB netascii transfer"


@pytest.mark.parametrize("name", ["sub/inner.txt", "sub/long.txt"])
def test_netascii_with_atftp_and_tsize(server, root, tmp_path, name):
    """atftp's netascii (interactive only), pairs split across blocks in long.txt."""
    out = tmp_path / "out"
    r = subprocess.run(["atftp", "127.0.0.1", str(server.tftp_port)], text=True,
                       capture_output=True, timeout=60,
                       input=f"mode netascii\noption tsize\nget {name} {out}\n")
    assert out.read_bytes() == (root / name).read_bytes(), r.stdout + r.stderr


def test_any_tsize_value_in_a_read_request_is_answered_with_the_size(server):
    """atftp's documented `--option "tsize enable"` sends tsize=enable; tftpd-hpa answers it."""
    assert oack(server.tftp_port, rrq("f512", tsize="enable")) == {"tsize": "512"}


def test_netascii_tsize_is_the_converted_size(server):
    got = oack(server.tftp_port, rrq("sub/inner.txt", b"netascii", tsize=0))
    assert got == {"tsize": str(len(b"line one\r\nline two\r\0\r\nbare cr\r\0 end\r\n"))}


def test_symlink_inside_root_is_served(server, root, tmp_path):
    r = fetch("curl", server.tftp_port, "inside-link", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out").read_bytes() == (root / "f512").read_bytes()


def test_log_line_per_transfer(server, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="lfsbuild.netboot.serve"):
        fetch("curl", server.tftp_port, "f8192", tmp_path / "out", blksize=1468)
        wait_until(lambda: any('"f8192"' in r.getMessage() for r in caplog.records), 3,
                   "a log line")
    line = next(r.getMessage() for r in caplog.records if '"f8192"' in r.getMessage())
    assert line.startswith("tftp 127.0.0.1:")
    for part in ("blksize=1468", "tsize=8192", "ok", "8192 bytes", " s (", "MB/s"):
        assert part in line, line


# --- hostile input from a raw socket: the right error, and the server keeps serving ---

HOSTILE = [
    ("traversal", rrq("../etc/passwd"), 5, E_ACCESS),
    ("deep traversal", rrq("sub/../../etc/passwd"), 5, E_ACCESS),
    ("absolute: the served root's /etc/passwd, not the host's", rrq("/etc/passwd"), 5,
     E_NOT_FOUND),
    ("symlink escape", rrq("escape-link"), 5, E_ACCESS),
    ("symlink dir escape", rrq("dir-link/passwd"), 5, E_ACCESS),
    ("over-long name", rrq("a" * 300), 5, E_ACCESS),
    ("fifo", rrq("fifo"), 5, E_ACCESS),
    ("directory", rrq("sub"), 5, E_NOT_FOUND),
    ("missing", rrq("nope"), 5, E_NOT_FOUND),
    ("write request", b"\0\2f512\0octet\0", 5, E_ACCESS),
    ("NUL inside name", b"\0\1f5\x0012\0octet\0", 5, E_ILLEGAL),
    ("mail mode", rrq("f512", b"mail"), 5, E_ILLEGAL),
    ("unterminated", b"\0\1f512\0octet", 5, E_ILLEGAL),
    ("no mode", b"\0\1f512\0", 5, E_ILLEGAL),
    ("truncated", b"\0\1x", 5, E_ILLEGAL),
    ("oversized", b"\0\1" + b"a" * 60000 + b"\0octet\0", 5, E_ILLEGAL),
    ("unknown opcode", b"\0\x09hello\0", 5, E_ILLEGAL),
    ("stray ACK", b"\0\4\0\1", 5, E_TID),
    ("stray DATA", b"\0\3\0\1abc", 5, E_TID),
    ("blksize too small", rrq("f512", blksize=7), 5, E_OPTION),
    ("blksize not a number", rrq("f512", blksize="big"), 5, E_OPTION),
    ("negative blksize", rrq("f512", blksize=-1), 5, E_OPTION),
    ("windowsize 0", rrq("f512", windowsize=0), 5, E_OPTION),
    ("windowsize too large", rrq("f512", windowsize=70000), 5, E_OPTION),
    ("timeout 0", rrq("f512", timeout=0), 5, E_OPTION),
    ("timeout 256", rrq("f512", timeout=256), 5, E_OPTION),
    ("option without value", rrq("f512") + b"blksize\0", 5, E_OPTION),
    ("binary garbage option", rrq("f512") + b"\xff\xfe\0\x01\0", 5, E_ILLEGAL),
]


@pytest.mark.parametrize("packet,opcode,code", [h[1:] for h in HOSTILE],
                         ids=[h[0] for h in HOSTILE])
def test_hostile_request_gets_error_and_server_survives(server, root, packet, opcode, code):
    got_op, got_code, message = exchange(server.tftp_port, packet)
    assert (got_op, got_code) == (opcode, code), message
    assert message                                    # says what is wrong
    assert lossy_fetch(server.tftp_port, "f512") == (root / "f512").read_bytes()


@pytest.mark.parametrize("packet", [b"", b"\0", b"\0\5\0\0oops\0", b"\0\5"],
                         ids=["empty", "one byte", "error packet", "short error"])
def test_junk_is_dropped_silently(server, root, packet):
    assert no_reply(server.tftp_port, packet)
    assert lossy_fetch(server.tftp_port, "f512") == (root / "f512").read_bytes()


def test_blksize_above_limit_is_clamped(server):
    assert oack(server.tftp_port, rrq("f512", blksize=100000)) == {"blksize": "65464"}


def test_huge_window_is_clamped(server):
    got = oack(server.tftp_port, rrq("f512", blksize=65464, windowsize=65535))
    assert got == {"blksize": "65464", "windowsize": "8"}


def test_unknown_options_are_ignored(server, root):
    assert oack(server.tftp_port, rrq("f512", frobnicate=3, tsize=0)) == {"tsize": "512"}


def test_stalled_client_is_cleaned_up(root):
    with BootServer(root, "127.0.0.1", 0, None, timeout=0.1, retries=2) as srv:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(rrq("f100000", blksize=1468), ("127.0.0.1", srv.tftp_port))
            s.recvfrom(2000)                        # the OACK; never acknowledged
            assert srv.tftp.active == 1
            wait_until(lambda: not srv.tftp.active, 3, "the stalled transfer's clean-up")
            assert srv.tftp.stats.failed == 1


@pytest.mark.parametrize("window", [1, 4])
def test_lost_packets_still_complete(root, window):
    data = (root / "f100000").read_bytes()
    reported = []
    with BootServer(root, "127.0.0.1", 0, None, timeout=0.1, retries=5,
                    on_transfer=reported.append) as srv:
        got = lossy_fetch(srv.tftp_port, "f100000", blksize=1468, windowsize=window,
                          drop_data=lambda i: i % 7 == 3, drop_ack=lambda i: i % 5 == 2)
        wait_until(lambda: reported, 5)   # the server's thread sees the final ACK after us
    assert got == data
    # the server reports the transfer, and the blocks it had to send again
    [t] = reported
    assert (t.protocol, t.path, t.outcome, t.bytes) == ("tftp", "f100000", "ok", len(data))
    assert t.retransmits > 0


def test_a_clean_transfer_reports_no_retransmission(root):
    reported = []
    with BootServer(root, "127.0.0.1", 0, None, on_transfer=reported.append) as srv:
        got = lossy_fetch(srv.tftp_port, "f100000", blksize=1468, windowsize=4)
        wait_until(lambda: reported, 5)
    assert got == (root / "f100000").read_bytes()
    assert [(t.outcome, t.retransmits) for t in reported] == [("ok", 0)]


def test_lossy_relay_with_atftp_windowsize(root, tmp_path):
    UdpRelay = load_relay()
    with BootServer(root, "127.0.0.1", 0, None, timeout=0.1, retries=8) as srv, \
            UdpRelay(("127.0.0.1", srv.tftp_port), delay=0, drop_every=13) as relay:
        r = fetch("atftp", relay.port, "f100000", tmp_path / "out", 1468, 8)
        assert relay.dropped > 0
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out").read_bytes() == (root / "f100000").read_bytes()


def test_relay_with_delay_forwards_tid_switch(server, root, tmp_path):
    UdpRelay = load_relay()
    with UdpRelay(("127.0.0.1", server.tftp_port), delay=0.0005) as relay:
        r = fetch("curl", relay.port, "f1468", tmp_path / "out", 1468)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out").read_bytes() == (root / "f1468").read_bytes()


@pytest.mark.slow
def test_fifty_concurrent_clients(tmp_path):
    (tmp_path / "root").mkdir()
    data = _content(16 << 20, 16)
    (tmp_path / "root" / "img").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    jobs = [("curl", 1468, 1), ("atftp", 1468, 8), ("curl", 8192, 1), ("atftp", 512, 16),
            ("curl", 512, 1)]

    def one(i: int) -> str:
        tool, blk, win = jobs[i % len(jobs)]
        out = tmp_path / f"out{i}"
        r = fetch(tool, srv.tftp_port, "img", out, blk, win)
        assert r.returncode == 0, f"{tool} {blk}/{win}: {r.stderr}"
        got = hashlib.sha256(out.read_bytes()).hexdigest()
        out.unlink()
        return got

    start = time.monotonic()
    with BootServer(tmp_path / "root", "127.0.0.1", 0, None) as srv:
        with ThreadPoolExecutor(max_workers=50) as pool:
            digests = list(pool.map(one, range(50)))
        assert srv.tftp.stats.ok == 50
    assert digests == [digest] * 50
    assert time.monotonic() - start < 150


# --- the pure parts ---

def test_parse_request_lowercases_and_strips_padding():
    req = parse_request(rrq("Boot/File", b"OCTET", BLKSIZE=1468) + b"\0\0\0")
    assert (req.filename, req.mode, req.options) == ("Boot/File", "octet", {"blksize": "1468"})


def test_negotiate_defaults_and_oack_order():
    n = negotiate({"tsize": "0", "blksize": "1468", "windowsize": "16", "x": "y"}, 99, 1.0)
    assert (n.blksize, n.windowsize, n.timeout) == (1468, 16, 1.0)
    assert n.oack == {"blksize": "1468", "tsize": "99", "windowsize": "16"}
    assert negotiate({}, 5, 2.0).oack == {}
    with pytest.raises(ProtocolError):
        negotiate({"blksize": "7"}, 5, 1.0)


# --- BootServer as the rest of lfsbuild uses it ---

def test_missing_root_is_a_serve_error(tmp_path):
    with pytest.raises(ServeError, match="invoke pxe"):
        BootServer(tmp_path / "nope")


def test_port_in_use_is_a_serve_error(server, root):
    with pytest.raises(ServeError, match="another port"):
        BootServer(root, "127.0.0.1", server.tftp_port, None).start()


def test_serve_forever_stops_and_summarises(root, tmp_path):
    stop = threading.Event()
    srv = BootServer(root, "127.0.0.1", 0, None)
    result: list[str] = []
    t = threading.Thread(target=lambda: result.append(srv.serve_forever(stop)))
    t.start()
    wait_until(lambda: srv.tftp_port != 0, 3, "the server's port", interval=0.02)
    assert fetch("curl", srv.tftp_port, "f512", tmp_path / "o").returncode == 0
    stop.set()
    t.join(5)
    assert not t.is_alive()
    assert result and result[0].startswith("served 1 TFTP transfers (0 failed)")


def test_a_leading_slash_means_the_served_root(server, root):
    """Boot loaders configured for tftpd-hpa --secure ask for "/pxelinux.0" and the like."""
    assert lossy_fetch(server.tftp_port, "/f512") == (root / "f512").read_bytes()
    assert lossy_fetch(server.tftp_port, "//sub/inner.txt") == (root / "sub/inner.txt").read_bytes()
