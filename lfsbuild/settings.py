"""lfs.* settings, read from invoke's config hierarchy into one frozen dataclass.

invoke already merges project `invoke.yaml`, `-f FILE`, user files and `INVOKE_LFS_*`
environment variables; this module only normalises types and resolves relative paths against
the project directory, so the library below never sees invoke or a half-typed value.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError


@dataclass(frozen=True)
class Settings:
    """What the user chose; defaults live in the project's invoke.yaml."""

    root: Path                    # $LFS
    sources: Path                 # download cache, outside root so `clean` keeps it
    packages: Path                # packages.yaml
    book: Path                    # recipes directory
    mirrors: tuple[str, ...] = ()  # base URLs tried before a package's own URL
    jobs: int = 1                 # make -jN
    target: str = "x86_64-lfs-linux-gnu"
    user: str = "lfs"             # unprivileged build user when running as root
    fetch_jobs: int = 4           # parallel downloads
    timeout: float = 30.0         # seconds without a byte before a source counts as dead
    retries: int = 3              # urllib3 retries per source (connect/5xx), with backoff
    files: Path = Path("chroot")  # data placed into the new system (recipes' `#: files:`)
    overlay: Path | None = None   # the user's files, same layout as files/, added on top
    tests: str = "none"           # package test suites: none | critical | all
    system: tuple[tuple[str, str], ...] = ()  # chapter 9 settings, for templates
    pxe_dir: Path = Path("build/pxe")  # netboot artifacts: what a TFTP/HTTP server serves
    host_check: bool = True       # stage1 checks the host against the book's chapter 2 first
    bootloader: str = "none"      # none (the target is PXE) | grub (installed on lfs.system.boot_disk)
    blfs: tuple[str, ...] = ()    # BLFS recipes (book/blfs/) to build after stage 5, by name
    blfs_packages: Path = Path("packages-blfs.yaml")  # their sources: BLFS's own list, not the LFS book's

    @property
    def state_dir(self) -> Path:
        """lfsbuild's records (step state, logs, lock) describe $LFS, so they live and die with it."""
        return self.root / ".lfsbuild"

    def replace(self, **changes: Any) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def from_config(lfs: Mapping[str, Any] | None, project_dir: Path) -> Settings:
    """Build Settings from invoke's merged `lfs` mapping; relative paths are project-relative."""
    cfg = dict(lfs or {})

    def path(key: str, default: str) -> Path:
        value = cfg.get(key) or default
        p = Path(os.path.expanduser(str(value)))
        return p if p.is_absolute() else (project_dir / p).resolve()

    target = str(cfg.get("target") or "x86_64-lfs-linux-gnu")
    if not re.fullmatch(r"[a-z0-9_]+-[a-z0-9_]+-linux-gnu[a-z0-9]*", target):
        raise ConfigError(f"lfs.target {target!r} is not a GNU target triplet",
                          "use something like x86_64-lfs-linux-gnu")
    user = str(cfg.get("user") or "lfs")
    if not re.fullmatch(r"[a-z_][a-z0-9_-]*", user):
        raise ConfigError(f"lfs.user {user!r} is not a valid user name")
    return Settings(
        root=path("root", "build/lfs"),
        sources=path("sources", "build/sources"),
        packages=path("packages", "packages.yaml"),
        book=path("book", "book"),
        mirrors=_mirrors(cfg.get("mirrors")),
        jobs=_positive_int(cfg.get("jobs"), "jobs", os.cpu_count() or 1),
        target=target,
        user=user,
        fetch_jobs=_positive_int(cfg.get("fetch_jobs"), "fetch_jobs", 4),
        timeout=_positive_float(cfg.get("timeout"), "timeout", 30.0),
        retries=_positive_int(cfg.get("retries"), "retries", 3, allow_zero=True),
        files=path("files", "chroot"),
        pxe_dir=path("pxe_dir", "build/pxe"),
        host_check=_bool(cfg.get("host_check", True), "host_check"),
        bootloader=_choice(cfg.get("bootloader"), "bootloader", ("none", "grub")),
        overlay=path("overlay", "") if cfg.get("overlay") else None,
        tests=_choice(cfg.get("tests"), "tests", ("none", "critical", "all")),
        system=_system(cfg.get("system") or {}, project_dir),
        blfs=_blfs(cfg.get("blfs")),
        blfs_packages=path("blfs_packages", "packages-blfs.yaml"),
    )


DEFAULT_BLFS = ("openssh", "dhcpcd")
KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
             "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
             "sk-ecdsa-sha2-nistp256@openssh.com")
_KEY_RE = re.compile(r"(?:^|\s)(" + "|".join(re.escape(t) for t in KEY_TYPES) +
                     r")\s+[A-Za-z0-9+/]+={0,3}(?:\s|$)")


def _blfs(value: Any) -> tuple[str, ...]:
    """lfs.blfs: a YAML list, or a string of names separated by spaces/commas.

    The project default is a string so that an environment variable can override it
    (invoke cannot turn INVOKE_LFS_BLFS into a list): `INVOKE_LFS_BLFS= invoke build` builds
    no BLFS package. Absent (None) means the default; an empty list or string means none.
    Whether the names exist is the book's question (`book.select_blfs`), asked at load time.
    """
    if value is None:
        return DEFAULT_BLFS
    items = re.split(r"[\s,]+", value.strip()) if isinstance(value, str) else list(value)
    names = tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))
    for name in names:
        if not re.fullmatch(r"[a-z0-9][a-z0-9+._-]*", name):
            raise ConfigError(f"lfs.blfs: {name!r} is not a recipe name",
                              "list BLFS recipe names, e.g. [openssh, dhcpcd] (book/blfs/)")
    return names


def _system(system: Mapping[str, Any], project_dir: Path) -> tuple[tuple[str, str], ...]:
    values = {str(k): "" if v is None else str(v) for k, v in system.items()}
    # always there: the OpenSSH recipe's template renders it, set or not
    values["authorized_keys"] = authorized_keys(values.get("authorized_keys", ""), project_dir)
    return tuple(sorted(values.items()))


def private_key_for(value: str, project_dir: Path) -> Path | None:
    """The private half of lfs.system.authorized_keys when it names `KEY.pub` and `KEY` exists
    beside it: the key `invoke boot-test --ssh` logs in with unless told otherwise."""
    text = (value or "").strip()
    if not text.endswith(".pub") or _KEY_RE.search(text):
        return None
    pub = Path(os.path.expanduser(text))
    key = (pub if pub.is_absolute() else project_dir / pub).with_suffix("")
    return key if key.is_file() else None


def authorized_keys(value: str, project_dir: Path) -> str:
    """lfs.system.authorized_keys as the file's text: the key lines themselves or a file's.

    Checked here, once, because a wrong value is only noticed at the first failed SSH login of
    a netbooted machine: a private key is refused outright (it must never enter an image), a
    path must exist, every line must be an OpenSSH public key (options before it are allowed).
    """
    text = value.strip()
    if not text:
        return ""
    if not _KEY_RE.search(text):
        path = Path(os.path.expanduser(text))
        path = path if path.is_absolute() else project_dir / path
        if "\n" in text or not path.is_file():
            raise ConfigError(f"lfs.system.authorized_keys: {text[:60]!r} is neither a public key "
                              f"nor a readable file",
                              "give the path of a public key file (~/.ssh/id_ed25519.pub) or the "
                              "key line itself (ssh-ed25519 AAAA... you@host)")
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"lfs.system.authorized_keys: cannot read {path}: {exc}") from None
        where = str(path)
    else:
        where = "the setting"
    if "PRIVATE KEY" in text:
        raise ConfigError(f"lfs.system.authorized_keys: {where} holds a PRIVATE key; it must "
                          f"never go into an image",
                          "give the public half (the .pub file next to it)")
    for no, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#") and not _KEY_RE.search(line):
            raise ConfigError(f"lfs.system.authorized_keys: line {no} of {where} is not an "
                              f"OpenSSH public key: {line[:60]!r}",
                              f"each line: [options] TYPE BASE64 [comment], TYPE one of "
                              f"{', '.join(KEY_TYPES[:3])} ...")
    return text + "\n"


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"lfs.{key} must be true or false, not {value!r}")


def _choice(value: Any, key: str, choices: tuple[str, ...]) -> str:
    value = str(value or choices[0]).lower()
    if value not in choices:
        raise ConfigError(f"lfs.{key} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _mirrors(value: Any) -> tuple[str, ...]:
    """A YAML list, or (from INVOKE_LFS_MIRRORS) a string of URLs separated by spaces/commas.

    Only the schemes `invoke fetch` can download are accepted (requests speaks http(s), and
    fetch reads file:// itself): an ftp:// mirror would pass here and then fail every download
    with a baffling "request failed", so it is refused now, with what to use instead.
    """
    if value in (None, ""):
        return ()
    items = re.split(r"[\s,]+", value.strip()) if isinstance(value, str) else list(value)
    out = []
    for item in items:
        url = str(item).strip()
        if not url:
            continue
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme in ("ftp", "ftps", "sftp"):
            raise ConfigError(
                f"lfs.mirrors entry {url!r}: {scheme}:// cannot be downloaded by lfsbuild; "
                f"the schemes that work are http, https, file",
                "run `invoke mirror --dest DIR` on a machine that has the files (or copy the "
                "FTP directory there) and list DIR as file://DIR, or serve DIR over HTTP and "
                "list its http:// URL")
        if scheme not in ("http", "https", "file") or (scheme != "file" and
                                                       not url.split("://", 1)[1].split("/")[0]):
            raise ConfigError(f"lfs.mirrors entry {url!r} is not an http://, https:// or "
                              f"file:// URL (the schemes that work are http, https, file)",
                              "mirrors are base URLs; the file name is appended to them")
        out.append(url.rstrip("/"))
    return tuple(out)


def _positive_int(value: Any, key: str, default: int, allow_zero: bool = False) -> int:
    if value in (None, "", "auto", 0) and not (allow_zero and value == 0):
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"lfs.{key} must be a whole number, not {value!r}") from None
    if n < 0 or (n == 0 and not allow_zero):
        raise ConfigError(f"lfs.{key} must be positive, not {n}")
    return n


def _positive_float(value: Any, key: str, default: float) -> float:
    if value in (None, ""):
        return default
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"lfs.{key} must be a number of seconds, not {value!r}") from None
    if x <= 0:
        raise ConfigError(f"lfs.{key} must be positive, not {x}")
    return x
