"""Per-node identity: `nodes.yaml` maps a MAC address to a hostname, an address and root's
authorized_keys, and `invoke pxe` turns each entry into a small overlay initrd plus boot
configs that only that MAC loads.

File format (a list, so every entry has a line number for its errors):

    nodes:
      - mac: 52:54:00:00:00:01
        hostname: node1
        address: dhcp                   # or a static 192.168.1.21/24
        gateway: 192.168.1.1            # static only (optional)
        dns: 192.168.1.1                # static only (optional)
        authorized_keys: keys/admin.pub  # a public key file (relative to this file) or the line

The address goes on the node's kernel command line (`ip=`), where the kernel's own IP
configuration applies it before the root is mounted (an NFS root needs it that early); the
node's files are its hostname, /etc/hosts, root's authorized_keys and its SSH host keys.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from lfsbuild.errors import ConfigError, DataFileError
from lfsbuild.settings import authorized_keys
from lfsbuild.yamldata import compose, read_text

MAC_RE = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")
HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
FIELDS = ("mac", "hostname", "address", "gateway", "dns", "authorized_keys")


@dataclass(frozen=True)
class Node:
    """One machine. `address` is "dhcp" or an IPv4 interface (address/prefix)."""

    mac: str               # aa:bb:cc:dd:ee:ff
    hostname: str
    address: str = "dhcp"
    gateway: str = ""
    dns: str = ""
    authorized_keys: str = ""   # the key lines themselves, checked
    where: str = ""             # file:line, for messages

    @property
    def mac_hyphen(self) -> str:
        return self.mac.replace(":", "-")

    def ip_param(self, nic: str = "eth0") -> str:
        """The kernel's ip= for this node: ip=<client>::<gw>:<netmask>:<hostname>:<dev>:off[:<dns>]
        for a static address, ip=dhcp otherwise (the kernel's DHCP; hostname from our file)."""
        if self.address == "dhcp":
            return "ip=dhcp"
        iface = ipaddress.IPv4Interface(self.address)
        tail = f":{self.dns}" if self.dns else ""
        return (f"ip={iface.ip}::{self.gateway}:{iface.netmask}:{self.hostname}:{nic}:off"
                f"{tail}")


def _fail(path: Path, line: int, field: str | None, problem: str, hint: str) -> DataFileError:
    return DataFileError(str(path), line, field, problem, hint)


def load_nodes(path: Path) -> list[Node]:
    """The nodes of `path`, every entry checked; a bad one is an error naming file:line."""
    text = read_text(path, "write a nodes file (see README, \"Many nodes\") or leave lfs.nodes empty")
    root = compose(text, str(path))
    if isinstance(root, yaml.MappingNode):
        top = {k.value: v for k, v in root.value}
        if set(top) != {"nodes"}:
            raise _fail(path, root.start_mark.line + 1, None,
                        "the file must hold one key, `nodes:`, with a list of nodes",
                        "see README, \"Many nodes\"")
        root = top["nodes"]
    if not isinstance(root, yaml.SequenceNode):
        raise _fail(path, root.start_mark.line + 1, "nodes", "not a list of nodes",
                    "write `nodes:` then one `- mac: ...` entry per machine")
    nodes: list[Node] = []
    macs: dict[str, str] = {}
    names: dict[str, str] = {}
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise _fail(path, line, None, "a node must be a mapping (mac:, hostname:, ...)",
                        "write `- mac: 52:54:00:12:34:56` and `hostname: node1` below it")
        values: dict[str, tuple[str, int]] = {}
        for k, v in item.value:
            key = str(k.value)
            if key not in FIELDS:
                raise _fail(path, k.start_mark.line + 1, key, "unknown field",
                            f"the fields are: {', '.join(FIELDS)}")
            if not isinstance(v, yaml.ScalarNode):
                raise _fail(path, v.start_mark.line + 1, key, "must be a single value", "")
            # the raw text: YAML 1.1 would read an unquoted 52:54:00 as a base-60 number
            values[key] = (str(v.value).strip(), v.start_mark.line + 1)
        node = _node(path, line, values)
        for seen, value, what in ((macs, node.mac, "MAC"), (names, node.hostname, "hostname")):
            if value in seen:
                raise _fail(path, line, "mac" if what == "MAC" else "hostname",
                            f"duplicate {what} {value} (also at {seen[value]})",
                            "every node needs its own MAC and hostname")
            seen[value] = f"{path}:{line}"
        nodes.append(node)
    return nodes


def _node(path: Path, line: int, values: dict[str, tuple[str, int]]) -> Node:
    def get(key: str) -> tuple[str, int]:
        return values.get(key, ("", line))

    mac, at = get("mac")
    m = mac.lower().replace("-", ":")
    if not MAC_RE.match(mac.lower()):
        raise _fail(path, at, "mac", f"{mac!r} is not a MAC address" if mac else "no mac",
                    "write it as six hex pairs, e.g. 52:54:00:12:34:56")
    hostname, at = get("hostname")
    if not HOSTNAME_RE.match(hostname):
        raise _fail(path, at, "hostname",
                    f"{hostname!r} is not a host name" if hostname else "no hostname",
                    "lower-case letters, digits and '-', at most 63, e.g. node1")
    address, at = get("address")
    address = address or "dhcp"
    if address != "dhcp":
        try:
            iface = ipaddress.IPv4Interface(address)
        except ValueError:
            iface = None
        if iface is None or "/" not in address:
            raise _fail(path, at, "address", f"{address!r} is neither dhcp nor an IPv4 "
                        "address with its prefix", "write dhcp, or e.g. 192.168.1.21/24")
    extra = {}
    for key in ("gateway", "dns"):
        value, at = get(key)
        if value:
            if address == "dhcp":
                raise _fail(path, at, key, f"{key} is for a static address only (DHCP "
                            "gives one)", f"remove {key}, or give a static address")
            try:
                ipaddress.IPv4Address(value)
            except ValueError:
                raise _fail(path, at, key, f"{value!r} is not an IPv4 address", "") from None
        extra[key] = value
    keys, at = get("authorized_keys")
    try:
        text = authorized_keys(keys, path.parent, label="authorized_keys") if keys else ""
    except ConfigError as exc:
        raise _fail(path, at, "authorized_keys", exc.message,
                    exc.hint or "give a readable public key file or the key line") from None
    return Node(mac=m, hostname=hostname, address=address, authorized_keys=text,
                where=f"{path}:{line}", **extra)
