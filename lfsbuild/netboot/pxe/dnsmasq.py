"""The generated dnsmasq.conf, filled in for one network: what a user does by hand, as code.

`invoke pxe` cannot know the network the tree will boot on, so its dnsmasq.conf carries
FILL IN lines (interface, the network's address, SERVER_IP) and two TFTP lines to remove
when another TFTP server serves the tree. `fill_in` makes exactly those edits and nothing
else, so what `invoke serve --proxy-dhcp` and the lab run is the file the user gets; `read`
tells what the file was generated for (its server address and HTTP port), so a mismatch is
refused instead of sending clients to the wrong place.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

from lfsbuild.errors import PxeError
from lfsbuild.netboot.pxe.layouts import normalise_mac

CONF = "dnsmasq.conf"
PLACEHOLDER = "SERVER_IP"
_BOOT_URL = re.compile(r"http://([^/:\s]+):(\d+)/boot\.ipxe")


@dataclass(frozen=True)
class Generated:
    """What a generated dnsmasq.conf says about where iPXE clients are sent."""

    path: Path
    text: str
    server: str | None      # None: still SERVER_IP, to be filled in
    http_port: int


@dataclass(frozen=True)
class FillIn:
    """The user's part: the network the proxy answers on and who serves the files."""

    interface: str
    network: ipaddress.IPv4Network
    server: str
    tftp_root: str | None = None        # None: another TFTP server serves the tree
    plain_pxe: tuple[str, ...] = field(default_factory=tuple)  # MACs served as plain PXE


def read(tree: Path) -> Generated:
    """Load `tree`/dnsmasq.conf and find the server and HTTP port its iPXE lines name."""
    path = tree / CONF
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise PxeError(f"{path} is missing", "run `invoke pxe` first: it writes dnsmasq.conf "
                       "next to the boot files") from None
    m = _BOOT_URL.search(text)
    if not m:
        raise PxeError(f"{path}: no http://SERVER:PORT/boot.ipxe line (edited by hand?)",
                       "run `invoke pxe` again to write a fresh dnsmasq.conf")
    host = m.group(1)
    return Generated(path, text, None if host == PLACEHOLDER else host, int(m.group(2)))


def fill_in(gen: Generated, f: FillIn) -> str:
    """The generated text with the FILL IN lines set, TFTP removed or pointed at `tftp_root`,
    and one `dhcp-host=MAC,set:plainpxe` line per plain-PXE machine (pure)."""
    net = f.network
    range_ = f"{net.network_address},proxy" + ("" if net.prefixlen == 24 else f",{net.netmask}")
    out: list[str] = []
    for line in gen.text.splitlines():
        key = line.split("=", 1)[0].strip()
        if key == "interface":
            line = f"interface={f.interface}"
        elif key == "dhcp-range" and line.rstrip().endswith(",proxy"):
            line = f"dhcp-range={range_}"
        elif key in ("enable-tftp", "tftp-root") and f.tftp_root is None:
            continue
        elif key == "tftp-root":
            line = f"tftp-root={f.tftp_root}"
        elif key == "#dhcp-host" and "set:plainpxe" in line:
            out.append(line)
            out.extend(f"dhcp-host={normalise_mac(m).replace('-', ':')},set:plainpxe"
                       for m in f.plain_pxe)
            continue
        line = _BOOT_URL.sub(lambda m: f"http://{f.server}:{m.group(2)}/boot.ipxe", line)
        out.append(line)
    return "\n".join(out) + "\n"
