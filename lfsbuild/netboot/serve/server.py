"""BootServer: the TFTP and HTTP servers over one root, as a context manager or a foreground loop."""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from lfsbuild.errors import ServeError
from .http import HttpServer
from .tftp import MAX_SILENCE, TftpServer
from .proxydhcp import ProxyDhcp
from .transfers import TransferLogFile, TransferSink

_LOG = logging.getLogger("lfsbuild.netboot.serve")


class BootServer:
    """Serve `root` read-only over TFTP and (unless `http_port` is None) HTTP.

    Port 0 picks a free port; the real ones are `tftp_port`/`http_port` once started.
    `timeout`/`retries` are the TFTP retransmit settings: a client silent for
    timeout * (retries + 1) seconds is dropped, and whatever timeout a client negotiates,
    one silent for `max_silence` seconds is. One client address runs at most
    `max_per_client` of the `max_transfers` transfers (default: a quarter of them).
    `on_transfer` is called with a `Transfer` record after each transfer of either server.
    """

    def __init__(self, root: Path | str, bind: str = "0.0.0.0", tftp_port: int = 69,
                 http_port: int | None = 8069, log: logging.Logger | None = None, *,
                 timeout: float = 1.0, retries: int = 5, max_transfers: int = 256,
                 max_per_client: int | None = None, max_silence: float = MAX_SILENCE,
                 on_transfer: TransferSink | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ServeError(f"cannot serve {self.root}: not a directory",
                             "run `invoke pxe` first, or pass the artifacts directory")
        per_client = max_per_client if max_per_client is not None else max(1, max_transfers // 4)
        if not (timeout > 0 and retries >= 0 and max_transfers >= 1 and per_client >= 1
                and timeout * (retries + 1) <= max_silence):
            raise ServeError(f"bad TFTP settings: timeout={timeout} retries={retries} "
                             f"max_transfers={max_transfers} max_per_client={per_client} "
                             f"max_silence={max_silence}",
                             "use timeout > 0, retries >= 0, max_transfers >= 1, "
                             "max_per_client >= 1 and timeout * (retries + 1) <= max_silence")
        self.log = log or _LOG
        root_real = os.path.realpath(self.root)
        self.tftp = TftpServer(root_real, bind, tftp_port, timeout=timeout, retries=retries,
                               max_transfers=max_transfers, max_per_client=per_client,
                               max_silence=max_silence, logger=self.log,
                               on_transfer=on_transfer)
        self.http = HttpServer(root_real, bind, http_port, logger=self.log,
                               on_transfer=on_transfer) \
            if http_port is not None else None
        self._started = 0.0

    @property
    def tftp_port(self) -> int:
        return self.tftp.port

    @property
    def http_port(self) -> int | None:
        return self.http.port if self.http else None

    def start(self) -> BootServer:
        """Bind both ports; a port in use or needing root becomes a ServeError that says so."""
        for name, part, port in (("TFTP", self.tftp, self.tftp.port),
                                 ("HTTP", self.http, self.http.port if self.http else None)):
            if part is None:
                continue
            try:
                part.start()
            except (OSError, OverflowError) as exc:
                self.stop()
                hint = ("ports below 1024 need root; pick a higher port"
                        if isinstance(exc, PermissionError) else
                        "is another server using it? pick another port or --bind address")
                raise ServeError(f"cannot open {name} port {self.tftp.bind}:{port}: {exc}",
                                 hint) from None
        self._started = time.monotonic()
        where = f"tftp://{self.tftp.bind}:{self.tftp_port}/"
        if self.http:
            where += f" and http://{self.http.bind}:{self.http_port}/"
        self.log.info("serving %s read-only on %s", self.root, where)
        return self

    def stop(self) -> None:
        self.tftp.stop()
        if self.http:
            self.http.stop()

    def __enter__(self) -> BootServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def summary(self) -> str:
        s = self.tftp.stats
        took = time.monotonic() - self._started if self._started else 0.0
        return (f"served {s.ok} TFTP transfers ({s.failed} failed), {s.bytes / 1e6:.1f} MB, "
                f"in {took:.0f} s")

    def serve_forever(self, stop: threading.Event | None = None, started: bool = False) -> str:
        """Run until Ctrl-C (or `stop` is set); stop cleanly and return the summary line.
        `started`: the caller already called `start` (and owns what it started since)."""
        stop = stop or threading.Event()
        if not started:
            self.start()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
        return self.summary()


def serve(root: Path | str, bind: str = "0.0.0.0", tftp_port: int = 69,
          http_port: int | None = 8069, proxy_dhcp: str | None = None,
          transfer_log: Path | None = None) -> str:
    """What `invoke serve` calls: serve in the foreground, return the summary for printing.

    `proxy_dhcp`: also run the tree's dnsmasq.conf as proxy DHCP on that interface, for as
    long as this runs. `transfer_log`: append one JSON line per transfer to that file.
    """
    # (no log file for a root that BootServer is about to refuse)
    sink = TransferLogFile(transfer_log) if transfer_log and Path(root).is_dir() else None
    server = BootServer(root, bind, tftp_port, http_port, on_transfer=sink)
    proxy = ProxyDhcp(Path(root), proxy_dhcp, http_port, tftp_port, log=server.log) \
        if proxy_dhcp else None
    try:
        if proxy is None:
            return server.serve_forever()
        # check all, then the files, then the proxy that sends clients to them
        proxy.prepare()
        server.start()
        try:
            proxy.start()
        except BaseException:
            server.stop()
            raise
        return server.serve_forever(started=True)
    finally:
        if proxy:
            proxy.stop()
        if sink:
            sink.close()
