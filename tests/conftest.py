"""Shared fixtures: generated source packages, a packages file for them, lfs settings."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def make_tarball(name: str, version: str, files: dict[str, str | bytes], size: int = 0) -> bytes:
    """A real .tar.gz with top directory name-version; `size` pads with incompressible bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        items = dict(files)
        if size:
            items["padding.bin"] = os.urandom(size)
        for rel, content in sorted(items.items()):
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{name}-{version}/{rel}")
            info.size = len(data)
            info.mode = 0o755 if rel.endswith((".sh", "configure")) else 0o644
            info.mtime = 1700000000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def packages_yaml(entries: list[dict], release: str = "test-1") -> str:
    lines = [f"release: '{release}'", "packages:"]
    patches = [e for e in entries if e.get("kind") == "patch"]
    for section, items in (("packages", [e for e in entries if e.get("kind") != "patch"]),
                           ("patches", patches)):
        if section == "patches":
            if not items:
                break
            lines.append("patches:")
        for e in items:
            lines.append(f"  - name: {e['name']}")
            lines.append(f"    version: '{e['version']}'")
            lines.append(f"    url: {e['url']}")
            lines.append(f"    md5: {e['md5']}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def invoke_env(tmp_path: Path):
    """Environment for running `invoke` as a user would, with lfs.* pointed into tmp_path."""
    def make(**lfs: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"INVOKE_LFS_ROOT": str(tmp_path / "lfs"),
                    "INVOKE_LFS_SOURCES": str(tmp_path / "sources"),
                    "INVOKE_LFS_BLFS": ""})  # no BLFS sources unless a test asks for them
        env.update({f"INVOKE_LFS_{k.upper()}": str(v) for k, v in lfs.items()})
        return env
    return make


def run_invoke(args: list[str], env: dict[str, str], timeout: float = 120,
               check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "invoke", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode:
        raise AssertionError(f"invoke {args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc
