"""`invoke serve` as a user runs it: real curl over TFTP and HTTP, Ctrl-C, one-line logs."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from waiting import eventually

pytestmark = pytest.mark.needs("curl", package="curl")


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_invoke_serve_serves_tftp_and_http_and_stops_on_ctrl_c(tmp_path: Path):
    (tmp_path / "pxe").mkdir()
    payload = os.urandom(300_000)
    (tmp_path / "pxe" / "initrd.img").write_bytes(payload)
    tport, hport = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "serve", "--root", str(tmp_path / "pxe"), "--bind",
         "127.0.0.1", "--tftp-port", str(tport), "--http-port", str(hport)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        eventually(lambda: subprocess.run(["curl", "-sf", "-o", str(tmp_path / "h"),
                                           f"http://127.0.0.1:{hport}/initrd.img"]).returncode == 0,
                   20, interval=0.2)
        assert (tmp_path / "h").read_bytes() == payload
        subprocess.run(["curl", "-sf", "--tftp-blksize", "1468", "-o", str(tmp_path / "t"),
                        f"tftp://127.0.0.1:{tport}/initrd.img"], check=True, timeout=60)
        assert (tmp_path / "t").read_bytes() == payload
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "initrd.img" in out and "blksize" in out   # the per-transfer line
    assert "Traceback" not in out
