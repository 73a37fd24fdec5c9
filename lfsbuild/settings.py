"""lfs.* settings, read from invoke's config hierarchy into one frozen dataclass.

invoke already merges project `invoke.yaml`, `-f FILE`, user files and `INVOKE_LFS_*`
environment variables; this module only normalises types and resolves relative paths against
the project directory, so the library below never sees invoke or a half-typed value.
"""
from __future__ import annotations

import math
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
    nodes: Path | None = None     # nodes file for `invoke pxe`: per-node identity (None: none)

    @property
    def state_dir(self) -> Path:
        """lfsbuild's records (step state, logs, lock) describe $LFS, so they live and die with it."""
        return self.root / ".lfsbuild"

    def replace(self, **changes: Any) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def from_config(lfs: Mapping[str, Any] | None, project_dir: Path) -> Settings:
    """Build Settings from invoke's merged `lfs` mapping; relative paths are project-relative.

    Every value is checked here, so every task refuses a bad setting before it writes
    anything; the places lfsbuild writes into and deletes from must not be the host's own.
    """
    cfg = dict(lfs or {})

    def path(key: str, default: str) -> Path:
        value = cfg.get(key)
        if value is None:
            value = default
        elif str(value).strip() == "":
            # "" is almost always an unset variable ($LFS in INVOKE_LFS_ROOT=$LFS), not a wish
            # for the default: building or cleaning the default tree instead is a surprise
            raise ConfigError(f"lfs.{key} is empty",
                              f"set lfs.{key} to a path, or remove it to use the default ({default})")
        p = Path(os.path.expanduser(str(value)))
        return p if p.is_absolute() else (project_dir / p).resolve()

    target = str(cfg.get("target") or "x86_64-lfs-linux-gnu")
    if not re.fullmatch(r"[a-z0-9_]+-[a-z0-9_]+-linux-gnu[a-z0-9]*", target):
        raise ConfigError(f"lfs.target {target!r} is not a GNU target triplet",
                          "use something like x86_64-lfs-linux-gnu")
    user = str(cfg.get("user") or "lfs")
    if not re.fullmatch(r"[a-z_][a-z0-9_-]*", user):
        raise ConfigError(f"lfs.user {user!r} is not a valid user name")
    settings = Settings(
        root=path("root", "build/lfs"),
        sources=path("sources", "build/sources"),
        packages=path("packages", "packages.yaml"),
        book=path("book", "book"),
        mirrors=_mirrors(cfg.get("mirrors")),
        jobs=_whole(cfg.get("jobs"), "jobs", os.cpu_count() or 1, MAX_JOBS),
        target=target,
        user=user,
        fetch_jobs=_whole(cfg.get("fetch_jobs"), "fetch_jobs", 4, MAX_FETCH_JOBS),
        timeout=_seconds(cfg.get("timeout"), "timeout", 30.0),
        retries=_whole(cfg.get("retries"), "retries", 3, MAX_RETRIES, minimum=0),
        files=path("files", "chroot"),
        pxe_dir=path("pxe_dir", "build/pxe"),
        host_check=_bool(cfg.get("host_check", True), "host_check"),
        bootloader=_choice(cfg.get("bootloader"), "bootloader", ("none", "grub")),
        overlay=path("overlay", "") if cfg.get("overlay") else None,
        tests=_choice(cfg.get("tests"), "tests", ("none", "critical", "all")),
        system=_system(cfg.get("system") or {}, project_dir),
        blfs=_blfs(cfg.get("blfs")),
        blfs_packages=path("blfs_packages", "packages-blfs.yaml"),
        nodes=_nodes(cfg.get("nodes"), project_dir),
    )
    check_places(settings)
    return settings


# ----------------------------------------------------------------------------- host places

#: Top-level directories of the host. `/lib*` (lib, lib32, lib64, libx32) is matched by
#: prefix. As $LFS, `invoke clean` would empty them and a build would write into them.
SYSTEM_DIRS = ("/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/media", "/mnt", "/opt",
               "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var")


def system_dir(path: Path) -> str | None:
    """The host directory `path` is (`/`, a top-level system directory, or what one of them
    resolves to, e.g. /usr/bin for /bin on a merged-/usr system), or None."""
    candidates = {os.path.normpath(path), os.path.realpath(path)}
    tops = set(SYSTEM_DIRS) | {f"/{e.name}" for e in _scandir("/") if e.name.startswith("lib")}
    known = {"/"} | tops | {os.path.realpath(d) for d in tops}
    for c in sorted(candidates):
        if c in known:
            return c
    return None


def home_dirs(passwd: Path = Path("/etc/passwd"), env: Mapping[str, str] = os.environ
              ) -> set[str]:
    """Every user's home from /etc/passwd plus $HOME, as given and resolved; `/` left out
    (some system accounts have it, and it is refused on its own)."""
    homes = {env.get("HOME", "")}
    try:
        for row in passwd.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = row.split(":")
            if len(parts) >= 7:
                homes.add(parts[5])
    except OSError:
        pass
    out = set()
    for h in homes:
        if h.startswith("/"):
            out |= {os.path.normpath(h), os.path.realpath(h)}
    out.discard("/")
    return out


def check_places(s: Settings, homes: set[str] | None = None) -> None:
    """Refuse an lfs.root, lfs.sources or lfs.pxe_dir that is the host's own directory.

    lfs.root is built into and emptied by `clean`/`restore`, so it may be neither `/`, a
    top-level system directory, nor a home directory (or a directory holding one); sources
    and pxe_dir are written into (pxe replaces files), so they may not be a system directory.
    """
    hint = ("set lfs.root to a directory of its own, e.g. /mnt/lfs as the book does "
            "(INVOKE_LFS_ROOT=/mnt/lfs or `lfs: {root: /mnt/lfs}` in your invoke.yaml)")
    host = system_dir(s.root)
    if host:
        raise ConfigError(f"lfs.root is {s.root}, the host's {host} directory: a build would "
                          f"write into it and `invoke clean` would empty it", hint)
    root = {os.path.normpath(s.root), os.path.realpath(s.root)}
    for home in sorted(homes if homes is not None else home_dirs()):
        if home in root:
            raise ConfigError(f"lfs.root is {s.root}, the home directory {home}: "
                              f"`invoke clean` would empty it", hint)
        if any(home.startswith(r.rstrip("/") + "/") for r in root):
            raise ConfigError(f"lfs.root {s.root} holds the home directory {home}: "
                              f"`invoke clean` would empty it", hint)
    for key, default in (("sources", "build/sources"), ("pxe_dir", "build/pxe")):
        value = getattr(s, key)
        host = system_dir(value)
        if host:
            raise ConfigError(f"lfs.{key} is {value}, the host's {host} directory: lfsbuild "
                              f"writes and replaces files there",
                              f"set lfs.{key} to a directory of its own (default: {default} in "
                              f"the project)")


def _scandir(path: str) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


# ----------------------------------------------------------------------------- values

#: Beyond these a value is a typo, and would only fail later (threads, time_t overflow).
MAX_JOBS = 4096
MAX_FETCH_JOBS = 64
MAX_RETRIES = 100
MAX_TIMEOUT = 86400.0


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


def _nodes(value: Any, project_dir: Path) -> Path | None:
    """lfs.nodes: a nodes file. Unset or '': none. The default `nodes.yaml` counts only when
    it exists (a checkout without one boots every machine alike); a path the user set must."""
    if value is None or str(value).strip() == "":
        return None
    p = Path(os.path.expanduser(str(value)))
    p = p if p.is_absolute() else (project_dir / p).resolve()
    if str(value) == "nodes.yaml" and not p.exists():
        return None
    if not p.is_file():
        raise ConfigError(f"lfs.nodes: {p} is not a file",
                          "give the path of a nodes file (README, \"Many nodes\"), or '' for none")
    return p


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


def authorized_keys(value: str, project_dir: Path, label: str = "lfs.system.authorized_keys") -> str:
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
            raise ConfigError(f"{label}: {text[:60]!r} is neither a public key "
                              f"nor a readable file",
                              "give the path of a public key file (~/.ssh/id_ed25519.pub) or the "
                              "key line itself (ssh-ed25519 AAAA... you@host)")
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{label}: cannot read {path}: {exc}") from None
        where = str(path)
    else:
        where = "the setting"
    if "PRIVATE KEY" in text:
        raise ConfigError(f"{label}: {where} holds a PRIVATE key; it must "
                          f"never go into an image",
                          "give the public half (the .pub file next to it)")
    for no, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#") and not _KEY_RE.search(line):
            raise ConfigError(f"{label}: line {no} of {where} is not an "
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


def _whole(value: Any, key: str, default: int, maximum: int, minimum: int = 1) -> int:
    """A whole number in [minimum, maximum]; None, "" and "auto" mean the default.

    2.9 is not 2 and `true` is not 1: a value that is not plainly a whole number is refused
    rather than rounded, so what runs is what the user wrote.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return default
    n: int | None = None
    if isinstance(value, bool):
        n = None
    elif isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,12}\s*", value):
        n = int(value)
    if n is None:
        raise ConfigError(f"lfs.{key} must be a whole number, not {_show(value)}",
                          f"e.g. lfs.{key}: {default}")
    if not minimum <= n <= maximum:
        what = "a positive whole number" if minimum == 1 else "a whole number"
        raise ConfigError(f"lfs.{key} must be {what} from {minimum} to {maximum}, not {n}",
                          "leave it unset for the default" if key != "jobs" else
                          "leave it unset (or `auto`) for the number of CPUs")
    return n


def _seconds(value: Any, key: str, default: float) -> float:
    """A finite positive number of seconds (nan and inf are floats, but not durations)."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return default
    x: float | None = None
    if not isinstance(value, bool):
        try:
            x = float(value)
        except (TypeError, ValueError, OverflowError):
            x = None
    if x is None or not math.isfinite(x):
        raise ConfigError(f"lfs.{key} must be a number of seconds, not {_show(value)}",
                          f"e.g. lfs.{key}: {default:g}")
    if not 0 < x <= MAX_TIMEOUT:
        raise ConfigError(f"lfs.{key} must be more than 0 and at most {MAX_TIMEOUT:g} seconds, "
                          f"not {x:g}", f"e.g. lfs.{key}: {default:g}")
    return x


def _show(value: Any) -> str:
    """repr of a setting for a message, cut short (a 5,000-digit value is not worth quoting)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
