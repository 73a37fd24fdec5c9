"""Where the host's distribution keeps the network boot loaders, and who ships them.

Data, not logic: one row per file we copy into the TFTP tree, each with the candidate paths
in the order we prefer them and the Debian package (or another distribution's) that ships
it, so a missing file produces a message that says exactly what to install.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Loader:
    """A boot loader file: its name in the tree, where hosts keep it, who provides it, what for."""

    name: str
    candidates: tuple[str, ...]
    package: str
    purpose: str


LOADERS: dict[str, Loader] = {l.name: l for l in (
    Loader("pxelinux.0", ("/usr/lib/PXELINUX/pxelinux.0", "/usr/share/syslinux/pxelinux.0",
                          "/usr/lib/syslinux/pxelinux.0"),
           "pxelinux (Debian/Ubuntu; syslinux-tftpboot on Fedora)", "BIOS PXE boot via pxelinux"),
    Loader("ldlinux.c32", ("/usr/lib/syslinux/modules/bios/ldlinux.c32", "/usr/share/syslinux/ldlinux.c32"),
           "syslinux-common (Debian/Ubuntu; syslinux on Fedora)", "pxelinux's core module"),
    Loader("grubnetx64.efi", ("/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed",
                              "/usr/lib/grub/x86_64-efi/monolithic/grubnetx64.efi"),
           "grub-efi-amd64-signed or grub-efi-amd64-bin (Debian/Ubuntu)", "UEFI PXE boot via GRUB"),
    Loader("ipxe.lkrn", ("/boot/ipxe.lkrn", "/usr/lib/ipxe/ipxe.lkrn"),
           "ipxe (Debian/Ubuntu)", "chainloading iPXE from pxelinux"),
    Loader("ipxe.efi", ("/usr/lib/ipxe/ipxe.efi", "/boot/ipxe.efi"),
           "ipxe (Debian/Ubuntu)", "chainloading iPXE from GRUB"),
)}


@dataclass(frozen=True)
class Missing:
    """A loader we could not find; `message` is what the user reads."""

    name: str
    package: str
    purpose: str

    @property
    def message(self) -> str:
        return (f"{self.name} not found on this host, so {self.purpose} is not available; "
                f"install the package {self.package} and run `invoke pxe` again")


def find_loaders(names: list[str], host_root: Path = Path("/")) -> tuple[dict[str, Path], list[Missing]]:
    """Look each loader up below `host_root` (tests point it at an empty tree)."""
    found: dict[str, Path] = {}
    missing: list[Missing] = []
    for name in names:
        loader = LOADERS[name]
        for cand in loader.candidates:
            path = host_root / cand.lstrip("/")
            if path.is_file():
                found[name] = path
                break
        else:
            missing.append(Missing(name, loader.package, loader.purpose))
    return found, missing
