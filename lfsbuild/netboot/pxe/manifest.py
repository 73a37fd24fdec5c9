"""manifest.json: what was written, how big, its sha256, and what it was built from.

The manifest is what boot-test, the server and a human read to know which kernel line
and which compression a tree holds, without unpacking anything.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lfsbuild.atomic import sha256_file
from lfsbuild.tables import format_table, human

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Artifact:
    path: str
    role: str
    size: int
    sha256: str


@dataclass
class Manifest:
    """Everything `invoke pxe` produced. `missing` lists boot loaders the host lacked."""

    release: str
    mode: str
    layout: str
    kernel: str
    kernel_version: str
    initrd: str | None
    cmdline: str
    compression: dict[str, object]
    source_date_epoch: int
    fingerprints: dict[str, str] = field(default_factory=dict)
    artifacts: list[Artifact] = field(default_factory=list)
    initrd_stats: dict[str, object] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    ssh_host_keys: list[str] = field(default_factory=list)  # fingerprints only, never keys
    notes: list[str] = field(default_factory=list)
    # where the private host keys are: printed by `invoke pxe`, not written to manifest.json
    # (a served file has no business pointing at secrets)
    secrets_dir: str = ""
    initrds: list[str] = field(default_factory=list)     # every initrd a node loads, in order
    image: dict[str, object] = field(default_factory=dict)  # squashfs: compressor, size, time
    nodes: list[dict[str, object]] = field(default_factory=list)  # mac, hostname, address, ...
    #: RAM (MiB) a node needs to boot this tree (`modes.node_ram_mb`); 0 in older manifests
    node_ram_mb: int = 0

    def to_json(self) -> str:
        data = asdict(self)
        del data["secrets_dir"]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, pxe_dir: Path) -> "Manifest":
        """The manifest of `pxe_dir`; OSError/ValueError/TypeError when missing or malformed."""
        data = json.loads((pxe_dir / MANIFEST).read_text())
        data["artifacts"] = [Artifact(**a) for a in data.get("artifacts", [])]
        return cls(**data)

    @classmethod
    def find(cls, pxe_dir: Path) -> "Manifest | None":
        """The manifest, or None for a tree without a readable one (a hand-made tree boots too)."""
        try:
            return cls.load(pxe_dir)
        except (OSError, ValueError, TypeError):
            return None

    @property
    def initrd_bytes(self) -> int:
        """Compressed size of the initrd(s): what the firmware downloads and keeps in RAM."""
        return sum(a.size for a in self.artifacts if a.role == "initrd")

    @property
    def unpacked_bytes(self) -> int:
        """Size of the root once the kernel has unpacked the initrd into its tmpfs."""
        return int(self.initrd_stats.get("uncompressed", 0) or 0)

    def table(self) -> str:
        """The short table `invoke pxe` prints: file, role, size."""
        rows = [(a.path, a.role, human(a.size)) for a in self.artifacts]
        total = sum(a.size for a in self.artifacts)
        return format_table(("file", "role", "size"), [*rows, ("total", "", human(total))],
                            right={2})


    def summary(self) -> str:
        """The table, the SSH host keys and where they are kept, one warning line per missing
        boot loader or other problem: what `invoke pxe` prints."""
        keys = []
        if self.ssh_host_keys:
            keys = [f"ssh host keys (in the initrd): {', '.join(self.ssh_host_keys)}"]
        for n in self.nodes:
            fps = n.get("ssh_host_keys") or []
            keys.append(f"node {n['hostname']} ({n['mac']}, {n['address']}): {n['overlay']}"
                        + (f", ssh host keys {', '.join(fps)}" if fps else ""))  # type: ignore[arg-type]
        if self.ssh_host_keys or any(n.get("ssh_host_keys") for n in self.nodes):
            keys.append(f"  kept in {self.secrets_dir or 'the -secrets directory beside the tree'} "
                        f"(private, 0600; reused by the next `invoke pxe`)")
        ram = [f"mode {self.mode}: a node needs about {self.node_ram_mb} MiB of RAM"] \
            if self.node_ram_mb else []
        return "\n".join([self.table(), *ram, *keys,
                          *(f"warning: {m}" for m in [*self.missing, *self.notes])])


def artifact(out_dir: Path, path: Path, role: str) -> Artifact:
    return Artifact(path=path.relative_to(out_dir).as_posix(), role=role,
                    size=path.stat().st_size, sha256=sha256_file(path))


def kernel_version(path: Path) -> str:
    """The version string of an x86 bzImage (setup header field `kernel_version`), or 'unknown'.

    Read from the image itself so any kernel (not only $LFS's) gets a correct manifest.
    """
    with open(path, "rb") as f:
        head = f.read(0x4000)
        if head[0x202:0x206] != b"HdrS":
            return "unknown"
        off = int.from_bytes(head[0x20E:0x210], "little") + 0x200
        f.seek(off)
        raw = f.read(256).split(b"\0", 1)[0]
    text = raw.decode("ascii", "replace").strip()
    return text.split(" ", 1)[0] or "unknown"
