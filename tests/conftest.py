"""Shared fixtures: generated source packages, a packages file for them, lfs settings; and
`need`, the one gate for what a test needs from the host."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import NoReturn

import pytest

# A suite started as a background job of a non-interactive shell (`cmd &` in a script, as some
# CI runners do) inherits SIGINT ignored, and so would every lfsbuild the tests start: Python
# keeps an ignored SIGINT ignored, so the Ctrl-C tests would hang instead of testing anything.
# A handler here is reset to the default in every child at exec: they get Ctrl-C as a user does.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Under CI=true (how .ci/run runs) a test whose tool is missing FAILS: tests/run installs every
# tool, so a skip there would only hide a missing install step (issue 12: a green run on the
# machine the tests were written on hid that `kmod` was never installed). Locally it skips and
# names the Debian package.
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def unavailable(what: str, fix: str) -> NoReturn:
    """Skip (locally) or fail (under CI=true): `what` is missing, `fix` says how to get it."""
    if IN_CI:
        pytest.fail(f"{what}: {fix} (CI=true: tests/run must provide it)", pytrace=False)
    pytest.skip(f"{what}: {fix}, or run tests/run")


def load_script(path: Path, name: str):
    """A script of bench/ (a folder of scripts, not a package) as a module, loaded by path and
    registered under `name` first: dataclasses look their module up while it is defined."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def need(*commands: str, package: str) -> None:
    """Every command is on PATH (they come with the Debian package(s) `package`)."""
    missing = [c for c in commands if shutil.which(c) is None]
    if missing:
        unavailable(f"{', '.join(missing)} not found", f"apt-get install -y {package}")


def need_file(*candidates: str | Path, package: str) -> Path:
    """The first of `candidates` that exists (a file a Debian package installs)."""
    for cand in candidates:
        if os.path.isfile(cand):
            return Path(cand)
    unavailable(f"none of {', '.join(map(str, candidates))} exists", f"apt-get install -y {package}")


def need_root(why: str) -> None:
    """Tests that mount, chroot, chown or create users run as root (as CI does)."""
    if os.geteuid() != 0:
        unavailable(f"needs root ({why})", "run the tests as root")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*commands, package): commands the test runs, from "
                                       "that Debian package; skips locally, fails under CI=true")
    config.addinivalue_line("markers", "root(why): needs root (chroot, build user, namespaces); "
                                       "skips locally, fails under CI=true")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """The markers `needs(*commands, package=...)` and `root(why)`: `need`/`need_root` first."""
    for mark in item.iter_markers("needs"):
        need(*mark.args, **mark.kwargs)
    for mark in item.iter_markers("root"):
        need_root(*mark.args)


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
