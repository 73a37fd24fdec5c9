#!/usr/bin/env python3
"""Build the local source mirror for a real LFS 12.3 (System V) build, outside the repo.

    python bench/real/mirror.py DIR [--git-dir GITDIR]      (bench/real/mirror.sh DIR is the same)

Why this exists: the machines lfsbuild is developed on reach no upstream server, only Debian's
source archive and the Python package index. A real build therefore needs a mirror made of
Debian's bytes (and versions), a packages file that names those bytes, and a settings file that
points the build at them. This script writes all three; re-running it skips what is there.

DIR/ gets:
  mirror/                   the file:// mirror: one file per book package and patch, MD5SUMS
  orig/                     the tarballs as they were before a fix below replaced them
  deb/, apt/                Debian's downloads and the private apt lists (debian-mirror.sh)
  packages-mirror.yaml      packages.yaml's names with the mirror's versions, files and md5s;
                            a comment above each entry says where its bytes come from
  packages-blfs-mirror.yaml the same for packages-blfs.yaml (the BLFS recipes' sources)
  lfs.yaml                  settings for `invoke -f DIR/lfs.yaml build` (bench/real/build.sh),
                            with the BLFS stage selected (lfs.blfs, lfs.blfs_packages)

Sources, in this order (the README beside this file lists every package and its origin):
  1. shared/lfs/debian-mirror.sh DIR stage1-3  - chapters 5-7, Debian's orig tarballs
  2. the same approach here for chapters 8-10 - `apt-get source --download-only`, the book's
     version if Debian has it, else the nearest newer one, else the nearest older one
  3. the Python sdists from the package index (pip download --no-binary :all:)
  4. git archives of upstream repositories at the release tag (bc, sysklogd, lfs-bootscripts,
     udev-lfs) from bare clones under --git-dir (no Debian package has them); absent -> missing
  5. stand-ins, generated here and marked as such: the five LFS patches, iana-etc (from
     Debian's netbase), the three documentation tarballs
  6. BLFS (packages-blfs.yaml): OpenSSH and dhcpcd from Debian's source archive as in 2.; the
     BLFS bootscripts as a stand-in (their source is in no repository or archive here)
Then the fixes Debian's "dfsg" tarballs need (they drop GFDL documentation that the build
system still refers to), each documented in FIXES below. The originals are kept in DIR/orig/.

Missing sources still get an entry (the book's URL and md5), so every stage that does not need
them can run (`build.sh --to stage3`); `invoke build` names them before it starts anything.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BOOK_PACKAGES = REPO / "packages.yaml"
BLFS_PACKAGES = REPO / "packages-blfs.yaml"
RELEASE = "12.3"
sys.path.insert(0, str(REPO))
from lfsbuild.netboot.lab import node_mac  # noqa: E402  (the MACs the lab gives its nodes)

# chapters 8-10 packages from Debian's source archive: book name -> Debian source package
DEBIAN = {
    "acl": "acl", "attr": "attr", "autoconf": "autoconf", "automake": "automake",
    "bzip2": "bzip2", "check": "check", "dejagnu": "dejagnu", "e2fsprogs": "e2fsprogs",
    "elfutils": "elfutils", "expat": "expat", "expect": "expect", "flex": "flex",
    "gdbm": "gdbm", "gperf": "gperf", "groff": "groff", "grub": "grub2",
    "inetutils": "inetutils", "intltool": "intltool", "iproute2": "iproute2", "kbd": "kbd",
    "kmod": "kmod", "less": "less", "libcap": "libcap2", "libffi": "libffi",
    "libpipeline": "libpipeline", "libtool": "libtool", "libxcrypt": "libxcrypt", "lz4": "lz4",
    "man-db": "man-db", "man-pages": "manpages", "ninja": "ninja-build", "openssl": "openssl",
    "pkgconf": "pkgconf", "procps-ng": "procps", "psmisc": "psmisc", "readline": "readline",
    "shadow": "shadow", "systemd": "systemd", "sysvinit": "sysvinit", "tcl": "tcl8.6",
    "tzdata": "tzdata", "vim": "vim", "xml-parser": "libxml-parser-perl", "zlib": "zlib",
    "zstd": "libzstd",
}
# BLFS packages from Debian's source archive, chosen by the same rules: name -> source package
BLFS_DEBIAN = {"openssh": "openssh", "dhcpcd": "dhcpcd"}
# what DIR/lfs.yaml builds in the BLFS stage (lfs.blfs): the recipes in book/blfs/
BLFS_SELECTED = ("openssh", "dhcpcd")
# names debian-mirror.sh uses where packages.yaml has another
DM_NAMES = {"Python": "python"}
# the Python sdists, by their index name
PYPI = {"flit-core": "flit-core", "wheel": "wheel", "setuptools": "setuptools",
        "markupsafe": "markupsafe", "jinja2": "jinja2", "meson": "meson"}
# name -> (owner+repo under --git-dir, tag, path inside the repo or "", top directory prefix)
GIT = {
    "bc": ("gavinhoward+bc", "7.0.3", "", "bc-7.0.3"),
    "sysklogd": ("troglobit+sysklogd", "v2.7.0", "", "sysklogd-2.7.0"),
    "lfs-bootscripts": ("lfs-book+lfs", "r12.3", "bootscripts", "lfs-bootscripts-20240825"),
    "udev-lfs": ("lfs-book+lfs", "r12.3", "udev-lfs", "udev-lfs-20230818"),
}


@dataclass
class Entry:
    """One line of packages-mirror.yaml: what the mirror holds for a book name."""
    name: str
    version: str
    file: str
    origin: str
    kind: str = "package"
    md5: str = ""
    debian: tuple[str, str, str] | None = None  # (source package, version, orig file) if Debian's


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def md5_of(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tops(tarball: Path) -> set[str]:
    with tarfile.open(tarball) as t:
        return {m.name.lstrip("./").split("/", 1)[0] for m in t.getmembers()} - {""}


def unpack_one(tarball: Path, into: Path) -> Path:
    """Unpack a tarball with a single top directory and return that directory."""
    into.mkdir(parents=True, exist_ok=True)
    run(["tar", "-xf", str(tarball), "-C", str(into)])
    entries = list(into.iterdir())
    if len(entries) != 1 or not entries[0].is_dir():
        raise SystemExit(f"{tarball}: expected one top directory, found {len(entries)} entries")
    return entries[0]


# files written here are dated the book's release day in the tarballs this script packs, so a
# re-run (another day, another machine) packs the same bytes: the same md5s, so a build
# tree's finished steps stay valid against a rebuilt mirror
CLAMP = "@1741132800"     # 2025-03-05 00:00 UTC


def pack(tree: Path, out: Path, top: str) -> None:
    """tar.xz of `tree` under the top directory name `top`, reproducible, written atomically."""
    if tree.name != top:
        tree = tree.rename(tree.parent / top)
    tmp = out.with_name(out.name + ".part")
    env = dict(os.environ, XZ_OPT="-T0 -3")
    run(["tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--format=gnu",
         f"--mtime={CLAMP}", "--clamp-mtime", "-C", str(tree.parent), "-cJf", str(tmp), top],
        env=env)
    tmp.rename(out)


# ---------------------------------------------------------------------------------------------
# 1. debian-mirror.sh (chapters 5-7)

def debian_mirror_sh() -> Path:
    for cand in (os.environ.get("DEBIAN_MIRROR_SH"), REPO.parent / "shared/lfs/debian-mirror.sh",
                 Path("/work/shared/lfs/debian-mirror.sh")):
        if cand and Path(cand).is_file():
            return Path(cand)
    raise SystemExit("debian-mirror.sh not found: set DEBIAN_MIRROR_SH to its path")


def stage13(d: Path) -> dict[str, Entry]:
    script = debian_mirror_sh()
    log(f"{script.name} {d} stage1-3 (chapters 5-7; skips what is there)")
    run(["bash", str(script), str(d), "stage1-3"], stdout=subprocess.DEVNULL)
    out: dict[str, Entry] = {}
    for row in (d / "packages.tsv").read_text().splitlines():
        name, ver, file, _md5 = row.split("\t")
        name = DM_NAMES.get(name, name)
        kind = "patch" if file.endswith(".patch") else "package"
        origin = ("STAND-IN (debian-mirror.sh): the same /var/db -> /var/lib/nss_db change as "
                  "the book's patch, made from the tree" if kind == "patch"
                  else "Debian source archive, via shared/lfs/debian-mirror.sh")
        out[name] = Entry(name, ver, file, origin, kind)
    return out


# ---------------------------------------------------------------------------------------------
# 2. Debian sources for chapters 8-10

def apt_opts(d: Path) -> list[str]:
    return ["-o", f"Dir::Etc::SourceList={d}/apt/sources.list", "-o",
            "Dir::Etc::SourceParts=/dev/null", "-o", f"Dir::State::Lists={d}/apt/lists"]


def upstream_of(debver: str) -> str:
    """Debian version -> the orig tarball's version (no epoch, no Debian revision)."""
    v = debver.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


def clean_version(up: str) -> str:
    """The upstream version in it: 1.3.dfsg+really1.3.1 -> 1.3.1, 8.6.16+dfsg -> 8.6.16."""
    if "+really" in up:
        up = up.split("+really", 1)[1]
    return re.sub(r"([+.~]dfsg\d*|\+ds\d*|~.*)$", "", up)


def vkey(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.+~-]", clean_version(v)))


def candidates(d: Path, src: str, book_ver: str) -> list[tuple[str, str]]:
    """(source package, Debian version) pairs for `src`: the book's version first, then its
    release series (readline 8.2 for 8.2.13), then the nearest newer, then the nearest older.
    showsrc also answers with sources that build a binary package of that name
    (automake -> automake-1.17), hence the pairs."""
    out = subprocess.run(["apt-cache", *apt_opts(d), "showsrc", src], capture_output=True,
                         text=True).stdout
    pairs = list(dict.fromkeys(re.findall(r"^Package: (\S+)\n(?:.*\n)*?Version: (\S+)", out,
                                          re.M)))
    up = lambda pv: vkey(upstream_of(pv[1]))
    same = [p for p in pairs if clean_version(upstream_of(p[1])) == book_ver]
    series = ".".join(book_ver.split(".")[:2]) + "."  # 8.2.13 -> 8.2 (+ Debian's own patches)
    same += [p for p in pairs if p not in same and (clean_version(upstream_of(p[1])) + ".")
             .startswith(series) and "." in book_ver]
    newer = sorted((p for p in pairs if p not in same and up(p) > vkey(book_ver)), key=up)
    older = sorted((p for p in pairs if p not in same and p not in newer), key=up, reverse=True)
    return same + newer + older


def debian_file(deb: Path, src: str, up: str) -> Path | None:
    for pat in (f"{src}_{up}.orig.tar.*", f"{src}_{up}.tar.*"):  # orig, or a native package
        hits = sorted(p for p in deb.glob(pat) if not p.name.endswith(".asc"))
        if hits:
            return hits[0]
    return None


def from_debian(d: Path, name: str, src: str, book_ver: str) -> Entry | None:
    """Debian's orig tarball of `src`, copied unchanged as DIR/mirror/NAME-VERSION.tar.EXT."""
    mirror, deb = d / "mirror", d / "deb"
    cands = candidates(d, src, book_ver)
    for src_, debver in cands:              # first what an earlier run put there
        ver = clean_version(upstream_of(debver))
        done = [p for p in sorted(mirror.glob(f"{name}-{ver}.tar.*"))
                + sorted((d / "orig").glob(f"{name}-{ver}.tar.*"))   # a fixed one: its original
                if not p.name.endswith((".part", ".fixed"))]
        if done:
            orig = debian_file(deb, src_, upstream_of(debver))
            return Entry(name, ver, done[0].name, f"Debian source archive: {src_} {debver}"
                         + (f" ({orig.name})" if orig else ""),
                         debian=(src_, debver, orig.name) if orig else None)
    for src, debver in cands:
        up = upstream_of(debver)
        ver = clean_version(up)
        orig = debian_file(deb, src, up)
        if orig is None:
            r = subprocess.run(["apt-get", *apt_opts(d), "source", "--download-only",
                                f"{src}={debver}"], cwd=deb, capture_output=True, text=True)
            orig = debian_file(deb, src, up)
            if orig is None:
                why = (r.stderr.strip().splitlines() or ["?"])[-1]
                log(f"  {name}: {src}={debver} not downloadable ({why[:100]})")
                continue
        if len(tops(orig)) != 1 and name != "tzdata":
            raise SystemExit(f"{orig}: more than one top directory")
        ext = orig.name.rsplit(".tar.", 1)[1]
        file = f"{name}-{ver}.tar.{ext}"
        shutil.copyfile(orig, mirror / f"{file}.part")     # Debian's bytes, unchanged
        (mirror / f"{file}.part").rename(mirror / file)
        return Entry(name, ver, file, f"Debian source archive: {src} {debver} ({orig.name})",
                     debian=(src, debver, orig.name))
    return None


# ---------------------------------------------------------------------------------------------
# 3. PyPI sdists

def from_pypi(d: Path, name: str, index_name: str, ver: str, book_file: str) -> Entry:
    mirror = d / "mirror"
    if not (mirror / book_file).exists():
        with tempfile.TemporaryDirectory(dir=d) as tmp:
            r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                                "--no-binary", ":all:", "-d", tmp, f"{index_name}=={ver}"],
                               capture_output=True, text=True)
            if r.returncode:
                raise SystemExit(f"{name}: pip download {index_name}=={ver} failed:\n"
                                 f"{r.stderr[-2000:]}")
            got = [p for p in Path(tmp).iterdir() if p.name.endswith((".tar.gz", ".zip"))]
            if len(got) != 1:
                raise SystemExit(f"{name}: pip download gave {[p.name for p in got]}")
            shutil.move(str(got[0]), mirror / book_file)
    return Entry(name, ver, book_file, f"Python package index sdist {index_name}=={ver}")


# ---------------------------------------------------------------------------------------------
# 4. git archives

def git_repo(git_dir: Path | None, slug: str) -> Path | None:
    if git_dir is None:
        return None
    for cand in (git_dir / slug / "repo", git_dir / slug, git_dir / f"{slug}.git"):
        if (cand / "HEAD").exists() or (cand / ".git").exists():
            return cand
    return None


def from_git(d: Path, name: str, git_dir: Path | None) -> Entry | None:
    slug, tag, sub, top = GIT[name]
    ver = top.rsplit("-", 1)[1]
    file = f"{top}.tar.xz"
    origin = f"git archive of {slug.replace('+', '/')} at {tag}" + (f", {sub}/" if sub else "")
    if name == "sysklogd":
        origin += ", configure generated with autoreconf -fi"
    if (d / "mirror" / file).exists():
        return Entry(name, ver, file, origin)
    repo = git_repo(git_dir, slug)
    if repo is None:
        return None
    with tempfile.TemporaryDirectory(dir=d) as tmp:
        t = Path(tmp) / top
        t.mkdir()
        spec = f"{tag}:{sub}" if sub else tag
        gd = repo / ".git" if (repo / ".git").exists() else repo
        arch = subprocess.run(["git", f"--git-dir={gd}", "archive", "--format=tar", spec],
                              check=True, capture_output=True).stdout
        run(["tar", "-x", "-C", str(t)], input=arch)
        if name == "sysklogd":
            autoreconf(t)
        pack(t, d / "mirror" / file, top)
    return Entry(name, ver, file, origin)


# ---------------------------------------------------------------------------------------------
# 5. stand-ins

STANDIN_NOTE = ("STAND-IN made by lfsbuild's bench/real/mirror.py on a machine without the "
                "upstream file; not the book's bytes.\n")


def write_tree_tarball(out: Path, top: str, files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(dir=out.parent.parent) as tmp:
        t = Path(tmp) / top
        for rel, text in files.items():
            (t / rel).parent.mkdir(parents=True, exist_ok=True)
            (t / rel).write_text(text)
        pack(t, out, top)


def standin_iana(d: Path, entries: dict[str, Entry]) -> Entry:
    """iana-etc: /etc/services and /etc/protocols from Debian's netbase (same IANA data,
    a smaller selection)."""
    e = from_debian(d, "netbase", "netbase", "6.5")
    if e is None:
        raise SystemExit("netbase: no Debian source downloadable")
    src = d / "mirror" / e.file
    file = f"iana-etc-netbase{e.version}.tar.xz"
    if not (d / "mirror" / file).exists():
        with tempfile.TemporaryDirectory(dir=d) as tmp:
            tree = unpack_one(src, Path(tmp) / "x")
            files = {"services": (tree / "etc" / "services").read_text(),
                     "protocols": (tree / "etc" / "protocols").read_text(),
                     "STAND-IN": STANDIN_NOTE + f"services, protocols: {e.origin}\n"}
            write_tree_tarball(d / "mirror" / file, f"iana-etc-netbase{e.version}", files)
    (d / "mirror" / e.file).unlink(missing_ok=True)     # netbase is not a book package
    return Entry("iana-etc", f"netbase{e.version}", file,
                 f"STAND-IN: services and protocols from Debian's netbase {e.version}")


def standin_docs(d: Path, name: str, ver: str, entries: dict[str, Entry]) -> Entry:
    """python-docs, tcl-docs: one index.html saying it is a stand-in; systemd-man: roff stubs
    for exactly the pages the udev recipe copies and edits."""
    file = f"{name}-{ver}-standin.tar.xz"
    top = f"{name}-{ver}"
    if not (d / "mirror" / file).exists():
        page = ("<!DOCTYPE html><title>{0}</title><p>{0}: stand-in. The prebuilt HTML "
                "documentation was not available on the machine that built this mirror.\n")
        if name == "python-docs":
            files = {"index.html": page.format(f"Python {ver} documentation")}
        elif name == "tcl-docs":
            files = {"html/index.html": page.format(f"Tcl {ver} documentation")}
        else:
            pages = ["man8/udevadm.8", "man7/udev.7", "man5/udev.conf.5", "man3/libudev.3",
                     "man7/hwdb.7", "man5/systemd.link.5", "man8/systemd-hwdb.8",
                     "man8/systemd-udevd.service.8"]
            files = {}
            for p in pages:
                base, sect = p.split("/", 1)[1].rsplit(".", 1)
                files[p] = (f'.TH "{base.upper()}" "{sect}" "" "systemd {ver}" "stand-in"\n'
                            f'.SH NAME\n{base} \\- stand-in page\n.SH DESCRIPTION\n'
                            f'The systemd man pages were not available where this mirror was '
                            f'made; see the systemd {ver} documentation for {base}.\n')
        files["STAND-IN"] = STANDIN_NOTE
        write_tree_tarball(d / "mirror" / file, top, files)
    return Entry(name, ver, file, "STAND-IN: generated placeholder documentation")


def diff_patch(src_tarball: Path, edits: dict[str, Callable[[str], str]], out: Path,
               header: str) -> None:
    """A `patch -Np1` patch: the given edits to files of the unpacked source tree."""
    with tempfile.TemporaryDirectory(dir=out.parent.parent) as tmp:
        a = unpack_one(src_tarball, Path(tmp) / "a")
        a = a.rename(a.parent / "a")
        b = Path(tmp) / "b"
        b.mkdir()
        body = ""
        for rel, edit in edits.items():
            old = (a / rel).read_text(errors="surrogateescape") if (a / rel).exists() else ""
            new = edit(old)
            if new == old:
                raise SystemExit(f"{out.name}: the edit of {rel} changed nothing")
            (b / rel).parent.mkdir(parents=True, exist_ok=True)
            (b / rel).write_text(new, errors="surrogateescape")
            left = f"a/{rel}" if (a / rel).exists() else "/dev/null"
            r = subprocess.run(["diff", "-u", "--label", left, "--label", f"b/{rel}",
                                str(a / rel) if (a / rel).exists() else "/dev/null",
                                str(b / rel)], cwd=tmp, capture_output=True, text=True,
                               errors="surrogateescape")
            body += r.stdout
        out.write_text(header + body, errors="surrogateescape")


def _bzip2_docs(mk: str) -> str:
    # the book's patch adds the documentation to `make install`
    lines = mk.split("\n")
    i = next(n for n, l in enumerate(lines) if l.startswith("install:"))
    j = next(n for n in range(i + 1, len(lines)) if not lines[n].startswith("\t"))
    add = ["\tmkdir -p $(PREFIX)/share/doc/bzip2-1.0.8",
           "\t-cp -f manual.html manual.pdf manual.ps $(PREFIX)/share/doc/bzip2-1.0.8",
           "\tchmod -R a+r $(PREFIX)/share/doc/bzip2-1.0.8"]
    return "\n".join(lines[:j] + add + lines[j:])


def _kbd_backspace(text: str) -> str:
    # the book's patch: Backspace sends Delete (127) and Delete a "Remove" escape sequence
    return re.sub(r"^(keycode\s+14\s*=\s*)BackSpace", r"\1Delete", text, flags=re.M)


def _sysvinit(mk: str) -> str:
    # the book's patch: no programs that other packages install (util-linux: last, lastb, mesg,
    # utmpdump, wall, sulogin, mountpoint; e2fsprogs: logsave), nor their man pages
    drop = {"last", "mesg", "utmpdump", "wall", "sulogin", "mountpoint", "logsave"}
    drop |= {f"{p}.{n}" for p in drop | {"lastb"} for n in (1, 8)}
    out = []
    for l in mk.split("\n"):
        m = re.match(r"^((?:BIN|SBIN|USRBIN|MAN1|MAN8)\s*\+?=)(.*)$", l)
        if m:
            l = m.group(1) + "".join(f" {w}" for w in m.group(2).split() if w not in drop)
        out.append(l)
    return "\n".join(out)


def standin_patches(d: Path, entries: dict[str, Entry], book: dict) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    mirror = d / "mirror"
    header = lambda n: (f"Submitted by: lfsbuild bench/real/mirror.py\nOrigin: STAND-IN for "
                        f"LFS's {book[n]['url'].rsplit('/', 1)[1]}, "
                        + ("a NO-OP (it only adds a note file)" if n == "coreutils-i18n" else
                           "written with the same intent") + "; not the book's patch\n\n")

    def src(name: str) -> Path | None:
        e = entries.get(name)
        if e is None:
            return None
        orig = d / "orig" / e.file
        return orig if orig.exists() else mirror / e.file

    jobs = {
        "bzip2-docs": ("bzip2", {"Makefile": _bzip2_docs}),
        "coreutils-i18n": ("coreutils", {"LFS-I18N-STAND-IN": lambda _: (
            "The book's coreutils i18n patch was not available: coreutils is built without "
            "it (no multibyte fixes in cut, fold, join, pr, sort, uniq, expand, unexpand).\n")}),
        "kbd-backspace": ("kbd", None),
        "sysvinit-consolidated": ("sysvinit", {"src/Makefile": _sysvinit}),
        "expect-gcc14": ("expect", None),
    }
    for name, (pkg, edits) in jobs.items():
        file = f"{name}-standin.patch"
        e = entries.get(pkg)
        if not (mirror / file).exists():
            s = src(pkg)
            if s is None:
                continue
            if name == "kbd-backspace":
                with tempfile.TemporaryDirectory(dir=d) as tmp:
                    tree = unpack_one(s, Path(tmp) / "x")
                    inc = tree / "data/keymaps/i386"
                    edits = {str(p.relative_to(tree)): _kbd_backspace
                             for p in sorted(inc.rglob("*.map")) + sorted(inc.rglob("*.inc"))
                             if re.search(r"^keycode\s+14\s*=\s*BackSpace", p.read_text(
                                 errors="replace"), re.M)}
            if name == "expect-gcc14":
                edits = expect_edits(d, s)
            diff_patch(s, edits, mirror / file, header(name))
        out[name] = Entry(name, e.version if e else book[name]["version"], file,
                          f"STAND-IN for the book's patch, made here from {pkg}'s tree"
                          + (" (a no-op: adds a note file only)" if name == "coreutils-i18n"
                             else ""),
                          kind="patch")
    return out


def expect_edits(d: Path, src: Path) -> dict[str, Callable[[str], str]]:
    """expect + gcc 14, which makes implicit int, implicit declarations and incompatible
    pointers errors (what the book's patch fixes). Checked here by configuring and compiling
    with gcc 12 and -Werror= for exactly those: configure's results then equal a plain run."""
    def configure(text: str) -> str:
        # the test programs say `main()` and call exit() without headers: with gcc 14 they fail
        # for the wrong reason (no termios found -> "could not find source file 'pty_.c'").
        # Not the function and library checks (AC_CHECK_FUNC, AC_CHECK_LIB): they declare
        # `char f ();` themselves, which the headers' prototype makes an error, so strchr,
        # memmove, select ... were "not found" and Dbg.c's `#define strchr index` broke the build
        lines, out = text.split("\n"), []
        for i, l in enumerate(lines):
            m = re.match(r"^([ \t]*)main ?\(", l)
            if m and not (i and lines[i - 1].strip() == "int"):
                l = m.group(1) + "int " + l[len(m.group(1)):]
            out.append(l)
            if l.strip() == "/* end confdefs.h.  */":
                end = next((j for j in range(i + 1, len(lines)) if lines[j] == "_ACEOF"),
                           len(lines))
                if not any("Override any GCC internal prototype" in x for x in lines[i:end]):
                    out += ["#include <stdlib.h>", "#include <string.h>", "#include <unistd.h>"]
        return "\n".join(out)

    def chan(t: str) -> str:
        # the channel type in Tcl's version-2 layout (the old one puts a function where the
        # version goes), and the prototype of exp_background_channelhandler
        a = t.index("Tcl_ChannelType expChannelType = {")
        b = t.index("};", a) + 2
        procs = ["TCL_CHANNEL_VERSION_2", "ExpCloseProc", "ExpInputProc", "ExpOutputProc",
                 "NULL", "NULL", "NULL", "ExpWatchProc", "ExpGetHandleProc", "NULL",
                 "ExpBlockModeProc", "NULL", "NULL"]
        t = (t[:a] + "Tcl_ChannelType expChannelType = {\n    \"exp\",\n"
             + "".join(f"    {p},\n" for p in procs) + "};" + t[b:])
        return t.replace('#include "tcldbg.h" /* Dbg_StdinMode */',
                         '#include "tcldbg.h" /* Dbg_StdinMode */\n#include "exp_event.h"', 1)

    def clib(t: str) -> str:
        return t.replace("#include <errno.h>\n", "#include <errno.h>\n#include <unistd.h>\n"
                         "#include <sys/wait.h>\nvoid exp_init_tty(void);\n", 1)

    def main_sub(t: str) -> str:
        return t.replace('#include "exp_tty_in.h"\n', '#include "exp_tty_in.h"\nint '
                         "exp_tty_cooked_echo(Tcl_Interp *, exp_tty *, int *, int *);\n", 1)

    def pty(t: str) -> str:
        return t.replace('#include "exp_pty.h"\n', '#include "exp_pty.h"\n#include <pty.h>\n'
                         "char *expErrnoMsg(int);\n", 1)

    return {"configure": configure, "exp_chan.c": chan, "exp_clib.c": clib,
            "exp_main_sub.c": main_sub, "pty_termios.c": pty}


# ---------------------------------------------------------------------------------------------
# 6. BLFS: the sources of the recipes in book/blfs/ (packages-blfs.yaml)

def blfs_note(book_ver: str, ver: str) -> str:
    """Why a BLFS source is not the book's version: the rules from_debian applied."""
    if ver == book_ver:
        return ""
    series = ".".join(book_ver.split(".")[:2]) + "."
    how = ("the same release series" if (ver + ".").startswith(series)
           else "the nearest newer one it serves" if vkey(ver) > vkey(book_ver)
           else "the nearest older one it serves")
    return f"; NOT the book's version {book_ver}: Debian has no {book_ver}, this is {how}"


# The BLFS bootscripts: the book links a tarball but publishes no md5, and their source is not
# in the BLFS book's repository (lfs-book/blfs has no bootscripts/ at r12.3 nor in its history),
# nor in Debian. So a stand-in with exactly what book/blfs/ runs: `make install-sshd` (the boot
# script and its rc links) and `make install-service-dhcpcd` (the network service that LFS's
# ifup/ifdown call), written here for LFS 12.3's /lib/lsb/init-functions and ifup.
BLFS_BOOTSCRIPTS_MAKEFILE = """\
# STAND-IN for the BLFS bootscripts, made by lfsbuild's bench/real/mirror.py: only the
# targets lfsbuild's BLFS recipes run (install-sshd, install-service-dhcpcd).
ETCDIR=${DESTDIR}/etc
SERVICEDIR=${DESTDIR}/lib/services
MODE=754
DIRMODE=755

all:
\t@grep "^install" Makefile | cut -d ":" -f 1
\t@echo "Select an appropriate install target from the above list"; exit 1

create-dirs:
\tinstall -d -m ${DIRMODE} ${ETCDIR}/rc.d/init.d
\tfor n in 0 1 2 3 4 5 6; do install -d -m ${DIRMODE} ${ETCDIR}/rc.d/rc$$n.d; done

create-service-dir:
\tinstall -d -m ${DIRMODE} ${SERVICEDIR}

# started after LFS's network (S20), stopped before it (K80)
install-sshd: create-dirs
\tinstall -m ${MODE} blfs/init.d/sshd ${ETCDIR}/rc.d/init.d/
\tfor n in 0 1 2 6; do ln -sf ../init.d/sshd ${ETCDIR}/rc.d/rc$$n.d/K30sshd; done
\tfor n in 3 4 5; do ln -sf ../init.d/sshd ${ETCDIR}/rc.d/rc$$n.d/S30sshd; done

install-service-dhcpcd: create-service-dir
\tinstall -m ${MODE} blfs/services/dhcpcd ${SERVICEDIR}/

.PHONY: all create-dirs create-service-dir install-sshd install-service-dhcpcd
"""

BLFS_SSHD = """\
#!/bin/sh
########################################################################
# Begin sshd
#
# Description : Start and stop the OpenSSH server
#
# Notes       : STAND-IN for the BLFS bootscripts' sshd, written by
#               lfsbuild's bench/real/mirror.py (not BLFS's file)
#
########################################################################

### BEGIN INIT INFO
# Provides:            sshd
# Required-Start:      $network
# Should-Start:
# Required-Stop:       $network
# Should-Stop:
# Default-Start:       3 4 5
# Default-Stop:        0 1 2 6
# Short-Description:   OpenSSH server
# Description:         Starts and stops sshd (host keys: /etc/ssh/ssh_host_*).
# X-LFS-Provided-By:   lfsbuild stand-in
### END INIT INFO

. /lib/lsb/init-functions

case "${1}" in
   start)
      log_info_msg "Starting SSH Server..."
      start_daemon -f /usr/sbin/sshd
      evaluate_retval
      ;;

   stop)
      log_info_msg "Stopping SSH Server..."
      killproc -p /run/sshd.pid /usr/sbin/sshd
      evaluate_retval
      ;;

   reload)
      log_info_msg "Reloading SSH Server..."
      killproc -p /run/sshd.pid /usr/sbin/sshd -HUP
      evaluate_retval
      ;;

   restart)
      ${0} stop
      sleep 1
      ${0} start
      ;;

   status)
      statusproc -p /run/sshd.pid /usr/sbin/sshd
      ;;

   *)
      echo "Usage: ${0} {start|stop|reload|restart|status}"
      exit 1
      ;;
esac

exit 0

# End sshd
"""

BLFS_DHCPCD = """\
#!/bin/sh
########################################################################
# Begin /lib/services/dhcpcd
#
# Description : DHCP client for one interface: ifup/ifdown run it as
#               IFCONFIG=/etc/sysconfig/ifconfig.<if> /lib/services/dhcpcd <if> up|down
#               with the options of DHCP_START and DHCP_STOP in that file
#               (DHCP_STOP unset: -k, release the lease)
#
# Notes       : STAND-IN for the BLFS bootscripts' dhcpcd service, written by
#               lfsbuild's bench/real/mirror.py (not BLFS's file)
#
########################################################################

. /lib/lsb/init-functions
# shellcheck source=/dev/null
. "${IFCONFIG}"

# DHCP_START and DHCP_STOP are lists of options: split into words on purpose
# shellcheck disable=SC2086
case "${2}" in
   up)
      log_info_msg "\\nStarting dhcpcd on the ${1} interface..."
      /usr/sbin/dhcpcd ${DHCP_START} "${1}"
      evaluate_retval
      ;;

   down)
      log_info_msg "Stopping dhcpcd on the ${1} interface..."
      /usr/sbin/dhcpcd ${DHCP_STOP:--k} "${1}"
      evaluate_retval
      ;;

   *)
      echo "Usage: ${0} [interface] {up|down}"
      exit 1
      ;;
esac

# End /lib/services/dhcpcd
"""


def upstream_signed(d: Path, src: str, debver: str, orig: str) -> str:
    """Whether Debian's orig tarball is upstream's release tarball: Debian keeps upstream's
    signature beside it (ORIG.asc) and upstream's key in debian/upstream/signing-key.asc.
    The proof that matters when the version is not the book's and its md5 cannot be compared."""
    deb = d / "deb"
    asc = deb / f"{orig}.asc"
    debian = sorted(deb.glob(f"{src}_{upstream_of(debver)}-*.debian.tar.*"))
    if not asc.exists():
        return "; Debian keeps no upstream signature for it"
    if not debian or not shutil.which("gpgv"):
        return f"; {asc.name} not checked (no Debian debian tarball or no gpgv here)"
    with tempfile.TemporaryDirectory(dir=d) as tmp:
        key = subprocess.run(["tar", "-xOf", str(debian[-1]), "debian/upstream/signing-key.asc"],
                             capture_output=True).stdout
        ring = Path(tmp) / "key.gpg"
        ring.write_bytes(subprocess.run(["gpg", "--dearmor"], input=key,
                                        capture_output=True).stdout)
        r = subprocess.run(["gpgv", "--keyring", str(ring), str(asc), str(deb / orig)],
                           capture_output=True, text=True)
    who = re.search(r'Good signature from "([^"<]+)', r.stderr)
    if r.returncode or not who:
        return f"; upstream's signature {asc.name} does NOT verify"
    return (f"; upstream's own release tarball: {asc.name} verifies with Debian's "
            f"debian/upstream/signing-key.asc ({who.group(1).strip()})")


def blfs_bootscripts(d: Path, ver: str) -> Entry:
    """The book's tarball if someone put it into DIR/mirror by hand, else the stand-in."""
    book_file = f"blfs-bootscripts-{ver}.tar.xz"
    if (d / "mirror" / book_file).exists():
        return Entry("blfs-bootscripts", ver, book_file,
                     "the BLFS book's tarball, put into the mirror by hand (the book publishes "
                     "no md5: these bytes are not checked against anything)")
    file = f"blfs-bootscripts-{ver}-standin.tar.xz"
    if not (d / "mirror" / file).exists():
        write_tree_tarball(d / "mirror" / file, f"blfs-bootscripts-{ver}", {
            "STAND-IN": STANDIN_NOTE + "Only the targets lfsbuild's BLFS recipes run: "
                        "install-sshd, install-service-dhcpcd.\n",
            "Makefile": BLFS_BOOTSCRIPTS_MAKEFILE,
            "blfs/init.d/sshd": BLFS_SSHD,
            "blfs/services/dhcpcd": BLFS_DHCPCD})
    return Entry("blfs-bootscripts", ver, file,
                 "STAND-IN: generated here, not BLFS's scripts (their source is in no repository "
                 "or archive on this machine): a Makefile with install-sshd (init.d/sshd, "
                 "S30/K30 links) and install-service-dhcpcd (/lib/services/dhcpcd) only")


def blfs_sources(d: Path, blfs: dict) -> dict[str, Entry]:
    """Every name of packages-blfs.yaml that this machine can supply; the rest stay missing."""
    out: dict[str, Entry] = {}
    for name, src in BLFS_DEBIAN.items():
        book_ver = blfs[name]["version"]
        e = from_debian(d, name, src, book_ver)
        if e is None:
            log(f"  {name}: MISSING (no version of Debian's {src} could be downloaded)")
            continue
        if e.debian:
            e.origin += upstream_signed(d, *e.debian)
        e.origin += blfs_note(book_ver, e.version)
        out[name] = e
    out["blfs-bootscripts"] = blfs_bootscripts(d, blfs["blfs-bootscripts"]["version"])
    return out


# ---------------------------------------------------------------------------------------------
# fixes to Debian's dfsg tarballs (the originals go to DIR/orig/)

AM_STUB = ("# STAND-IN: Debian's dfsg tarball drops this directory (GFDL documentation); every "
           "target does nothing\n"
           "all install install-strip install-data install-exec uninstall check installcheck "
           "clean distclean mostlyclean maintainer-clean info dvi pdf ps html install-info "
           "install-html install-dvi install-pdf install-ps installdirs tags ctags distdir "
           "install-data-am install-exec-am:\n\t@:\n.PHONY: all install\n")


def stub_doc(tree: Path) -> None:
    """doc/Makefile.in that does nothing, for every target (install-html too)."""
    (tree / "doc").mkdir(exist_ok=True)
    (tree / "doc" / "Makefile.in").write_text(AM_STUB)


def no_info(makefile_in: Path) -> None:
    """An automake Makefile.in that builds and installs no info manual: INFO_DEPS empty (the
    .texi sources are gone, and makeinfo may not exist yet when the package is built)."""
    lines, out, skip = makefile_in.read_text().split("\n"), [], False
    for l in lines:
        if skip:
            skip = l.endswith("\\")
            continue
        if l.startswith("INFO_DEPS ="):
            out.append("INFO_DEPS =  # STAND-IN: Debian's dfsg tarball has no .texi/.info")
            skip = l.endswith("\\")
            continue
        out.append(l)
    if out == lines:
        raise SystemExit(f"{makefile_in}: no INFO_DEPS line")
    makefile_in.write_text("\n".join(out))


#: what `autoreconf -fi` runs, and the Debian package of each
AUTOTOOLS = {"autoreconf": "autoconf", "automake": "automake", "libtoolize": "libtool",
             "autopoint": "autopoint", "pkg-config": "pkg-config"}


def missing_autotools() -> list[str]:
    return sorted({pkg for tool, pkg in AUTOTOOLS.items() if shutil.which(tool) is None})


def host_autotools() -> None:
    """Install the autotools `autoreconf` needs when some are missing (as build.sh installs the
    book's host tools), before the long part of the run, so one command makes the mirror."""
    missing = missing_autotools()
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        log(f"installing what autoreconf needs: {' '.join(missing)}")
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)


def autoreconf(tree: Path) -> None:
    """A tree from git (Debian's orig tarball of some packages is one) has no configure, which
    the release tarball has and the book runs: generate it as the release does. The result
    depends on the host's autotools versions (the mirror is reproducible on one host only)."""
    missing = missing_autotools()
    if missing:
        raise SystemExit(f"{tree.name}: generating its configure needs "
                         f"apt-get install -y {' '.join(missing)}")
    run(["autoreconf", "-fi"], cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(tree / "autom4te.cache", ignore_errors=True)
    if not (tree / "configure").is_file():
        raise SystemExit(f"{tree.name}: autoreconf -fi made no configure")


def fix_expat(tree: Path) -> None:
    """expat: Debian's orig is libexpat's git tree, the library in its expat/ folder and no
    configure: that folder becomes the tree, configure generated."""
    sub = tree / "expat"
    if not (sub / "configure.ac").is_file():
        raise SystemExit(f"{tree}: no expat/configure.ac")
    for p in tree.iterdir():
        if p == sub:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
    for p in sub.iterdir():
        p.rename(tree / p.name)
    sub.rmdir()
    autoreconf(tree)


def fix_procps(tree: Path) -> None:
    """procps-ng 4.0.4's watch includes <ncursesw/ncurses.h>; LFS installs ncurses' headers
    flat (fixed upstream in 4.0.5, the book's version)."""
    hits = 0
    for p in tree.rglob("*.[ch]"):
        t = p.read_text(errors="surrogateescape")
        if "<ncursesw/ncurses.h>" in t:
            p.write_text(t.replace("<ncursesw/ncurses.h>", "<ncurses.h>"), errors="surrogateescape")
            hits += 1
    if not hits:
        raise SystemExit("procps-ng: no <ncursesw/ncurses.h> to fix")


def fix_make(tree: Path) -> None:
    """make: no doc/ at all; configure writes doc/Makefile and the top Makefile installs
    doc/make.1 (man_MANS)."""
    stub_doc(tree)
    (tree / "doc" / "make.1").write_text(
        '.TH MAKE 1 "" "GNU make" "stand-in"\n.SH NAME\nmake \\- GNU make utility to maintain '
        'groups of programs\n.SH DESCRIPTION\nStand-in page: Debian\'s dfsg tarball of make has '
        'no doc/. See the GNU make manual.\n')


def fix_gawk(tree: Path) -> None:
    """gawk: no info manual, and old-dated stub .texi files so that awklib's examples, which
    are extracted from gawk.texi, count as up to date (the tarball has them and stamp-eg)."""
    no_info(tree / "doc" / "Makefile.in")
    for texi in ("gawk.texi", "gawkinet.texi", "gawkworkflow.texi", "pm-gawk.texi"):
        p = tree / "doc" / texi
        p.write_text("\\input texinfo  @c STAND-IN: Debian's dfsg tarball has no manual\n@bye\n")
        os.utime(p, (946684800, 946684800))                 # 2000-01-01, older than stamp-eg


def fix_bison(tree: Path) -> None:
    """bison: no info manual, and an old-dated stub doc/bison.texi so that the examples
    extracted from it (examples/extracted.stamp, in the tarball) count as up to date."""
    no_info(tree / "Makefile.in")
    mk = tree / "Makefile.in"
    text = mk.read_text()
    old = "all-local: $(srcdir)/$(doc_bison).info.bak\n"    # post-processes the info manual
    if old not in text:
        raise SystemExit(f"{mk}: no '{old.strip()}' line")
    mk.write_text(text.replace(old, "all-local:\n"))
    p = tree / "doc" / "bison.texi"
    p.write_text("\\input texinfo  @c STAND-IN: Debian's dfsg tarball has no manual\n@bye\n")
    os.utime(p, (946684800, 946684800))


FIXES: dict[str, tuple[Callable[[Path], None], str]] = {
    "gmp": (stub_doc, "doc/Makefile.in: a do-nothing stub for every automake target (the one "
                      "debian-mirror.sh writes lacks install-html, which chapter 8 runs)"),
    "tar": (stub_doc, "doc/Makefile.in: a do-nothing stub for every automake target (Debian's "
                      "own stub has only all/install/check; chapter 8 runs make -C doc "
                      "install-html)"),
    "make": (fix_make, "doc/Makefile.in: a do-nothing stub and a stand-in doc/make.1 (dfsg: no "
                       "doc/ at all, but configure writes doc/Makefile and make installs "
                       "doc/make.1)"),
    "gawk": (fix_gawk, "doc/Makefile.in builds no info manual and old-dated stub doc/*.texi "
                       "keep awklib's extracted examples current (dfsg: no gawk*.texi); the man "
                       "pages and the figures the book copies stay"),
    "bison": (fix_bison, "Makefile.in builds (and post-processes) no info manual and an "
                         "old-dated stub doc/bison.texi keeps the extracted examples current "
                         "(dfsg: no doc/bison.texi)"),
    "procps-ng": (fix_procps, "src/watch.c: <ncursesw/ncurses.h> -> <ncurses.h>"),
    # git trees without configure (the book runs ./configure): generated with autoreconf -fi
    "expat": (fix_expat, "the expat/ folder of libexpat's git tree as the tree, configure "
                         "generated with autoreconf -fi"),
    "kbd": (autoreconf, "configure generated with autoreconf -fi (a git tree)"),
    "libffi": (autoreconf, "configure generated with autoreconf -fi (a git tree)"),
    "libxcrypt": (autoreconf, "configure generated with autoreconf -fi (a git tree)"),
}


def apply_fixes(d: Path, entries: dict[str, Entry]) -> None:
    """Apply FIXES. The tarball as it came goes to DIR/orig/ (once); the fix is always made
    from that original, and DIR/orig/<file>.fixed records which fix: a changed fix is redone."""
    orig_dir = d / "orig"
    orig_dir.mkdir(exist_ok=True)
    for name, (fix, what) in FIXES.items():
        e = entries.get(name)
        if e is None:
            continue
        stem = f"{name}-{e.version}"
        out = d / "mirror" / f"{stem}.tar.xz"
        kept = [p for p in orig_dir.glob(f"{stem}.tar.*") if not p.name.endswith(".fixed")]
        if kept:
            keep = kept[0]
        else:
            keep = orig_dir / e.file
            shutil.copy2(d / "mirror" / e.file, keep)
        marker = orig_dir / f"{keep.name}.fixed"
        if not (out.exists() and marker.exists() and marker.read_text().strip() == what):
            with tempfile.TemporaryDirectory(dir=d) as tmp:
                tree = unpack_one(keep, Path(tmp) / "x")
                fix(tree)
                for old in d.joinpath("mirror").glob(f"{stem}.tar.*"):
                    old.unlink()
                pack(tree, out, stem)
            marker.write_text(what + "\n")
            log(f"  fixed {name}: {what}")
        e.file, e.origin = out.name, e.origin + f"; FIXED here: {what}"


# ---------------------------------------------------------------------------------------------
# the packages file and the settings file

HEADERS = {
    "packages-mirror.yaml": [
        "# Generated by lfsbuild bench/real/mirror.py: packages.yaml's names with what the local",
        "# mirror {mirror} holds (Debian's bytes and versions, PyPI sdists, git archives,",
        "# stand-ins). The comment above each entry says where it comes from; 'book md5' means the",
        "# bytes are exactly the book's. Not for a normal build: use the project's packages.yaml.",
    ],
    "packages-blfs-mirror.yaml": [
        "# Generated by lfsbuild bench/real/mirror.py: packages-blfs.yaml's names with what the",
        "# local mirror {mirror} holds (Debian's bytes and versions, stand-ins). The comment",
        "# above each entry says where it comes from; 'book md5' means the bytes are exactly the",
        "# BLFS book's. Not for a normal build: use the project's packages-blfs.yaml.",
    ],
}


def write_packages(d: Path, book: dict, entries: dict[str, Entry],
                   out: str = "packages-mirror.yaml") -> tuple[int, int]:
    """DIR/<out>: the names of `book` (packages.yaml, or packages-blfs.yaml for
    packages-blfs-mirror.yaml) with the mirror's files, each with a comment on its origin."""
    mirror = d / "mirror"
    lines = [line.format(mirror=mirror) for line in HEADERS[out]]
    lines.append(f"release: '{RELEASE}'")
    exact = missing = 0
    for section in ("packages", "patches"):
        if section not in book:
            continue
        lines.append(f"{section}:")
        for b in book[section]:
            e = entries.get(b["name"])
            if e is None:
                missing += 1
                lines += ["  # MISSING: no source on this machine; the book's own URL and md5",
                          f"  - name: {b['name']}", f"    version: '{b['version']}'",
                          f"    url: {b['url']}", f"    md5: {b['md5']}"]
                continue
            path = mirror / e.file
            e.md5 = md5_of(path)
            same = e.md5 == b["md5"]
            exact += same
            note = (" (book md5: the book's exact bytes)" if same else
                    " (the book publishes no md5)" if b["md5"] == "unknown" else "")
            lines += [f"  # origin: {e.origin}{note}",
                      f"  - name: {b['name']}", f"    version: '{e.version}'",
                      f"    url: file://{path}", f"    md5: {e.md5}",
                      f"    size_kb: {max(1, (path.stat().st_size + 1023) // 1024)}"]
    tmp = d / f"{out}.part"
    tmp.write_text("\n".join(lines) + "\n")
    tmp.rename(d / out)
    return exact, missing


def login_key(d: Path) -> Path:
    """DIR/keys/root_ed25519.pub, made once with the host's ssh-keygen and then kept: root's key
    on the real build (lfs.system.authorized_keys; `boot-test --ssh` logs in with the private
    half). Kept, because a new key would change the OpenSSH step's inputs and rebuild it."""
    key = d / "keys" / "root_ed25519"
    if not key.with_suffix(".pub").is_file():
        key.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key.unlink(missing_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lfsbuild-real",
                        "-f", str(key)], check=True)
    return key.with_suffix(".pub")


def write_nodes(d: Path, key: Path) -> Path:
    """DIR/nodes.yaml (once; an edited one is kept): the lab's first two nodes (`boot-test
    --network lab --nodes 2` gives them these MACs), each with its own hostname, so a lab boot
    of the real build shows two machines with their own identity from one image."""
    out = d / "nodes.yaml"
    if not out.is_file():
        lines = ["# Generated by lfsbuild bench/real/mirror.py: the lab's nodes (README \"Many "
                 "nodes\")", "nodes:"]
        for k in (1, 2):
            lines += [f"  - mac: {node_mac(k)}", f"    hostname: lfs-node{k}",
                      f"    authorized_keys: {key.relative_to(d)}"]
        tmp = d / "nodes.yaml.part"
        tmp.write_text("\n".join(lines) + "\n")
        tmp.rename(out)
    return out


def write_settings(d: Path) -> None:
    dash = os.path.realpath("/bin/sh").endswith("dash")
    key = login_key(d)
    nodes = write_nodes(d, key)
    text = (
        "# Generated by lfsbuild bench/real/mirror.py: a real build from the local mirror.\n"
        f"# Use from the lfsbuild checkout: invoke -f {d}/lfs.yaml build (bench/real/build.sh)\n"
        "lfs:\n"
        f"  root: {d}/lfs\n"
        f"  sources: {d}/sources\n"
        f"  packages: {d}/packages-mirror.yaml\n"
        f"  mirrors: ['file://{d}/mirror']\n"
        f"  pxe_dir: {d}/pxe\n"
        "  tests: none\n"
        f"  blfs: [{', '.join(BLFS_SELECTED)}]\n"
        f"  blfs_packages: {d}/packages-blfs-mirror.yaml\n"
        f"  nodes: {nodes}\n"
        "  system:\n"
        f"    authorized_keys: {key}\n"
        + ("  host_check: false         # /bin/sh is dash here; the book wants bash (stage 1 is "
           "unaffected)\n" if dash else "")
    )
    tmp = d / "lfs.yaml.part"
    tmp.write_text(text)
    tmp.rename(d / "lfs.yaml")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--git-dir", type=Path, default=os.environ.get("LFS_GIT_DIR"),
                    help="bare clones for bc, sysklogd and lfs-book/lfs, named OWNER+NAME "
                         "(default: DIR/git, or $LFS_GIT_DIR)")
    args = ap.parse_args()
    d = args.dir.resolve()
    (d / "mirror").mkdir(parents=True, exist_ok=True)
    git_dir = args.git_dir or (d / "git")
    t0 = time.monotonic()
    host_autotools()
    book_data = yaml.safe_load(BOOK_PACKAGES.read_text())
    book = {e["name"]: e for s in ("packages", "patches") for e in book_data[s]}

    entries = stage13(d)
    log(f"chapters 5-7: {len(entries)} files from debian-mirror.sh ({time.monotonic() - t0:.0f} s)")
    for name, src in DEBIAN.items():
        e = from_debian(d, name, src, book[name]["version"])
        if e is None:
            log(f"  {name}: MISSING (no version of Debian's {src} could be downloaded)")
        else:
            entries[name] = e
    log(f"chapters 8-10 from Debian done ({time.monotonic() - t0:.0f} s)")
    for name, index_name in PYPI.items():
        entries[name] = from_pypi(d, name, index_name, book[name]["version"],
                                  book[name]["url"].rsplit("/", 1)[1])
    for name in GIT:
        e = from_git(d, name, git_dir)
        if e is None:
            log(f"  {name}: MISSING (no clone of {GIT[name][0]} under {git_dir})")
        else:
            entries[name] = e
    entries["iana-etc"] = standin_iana(d, entries)
    for name in ("python-docs", "tcl-docs", "systemd-man"):
        owner = {"python-docs": "python", "tcl-docs": "tcl", "systemd-man": "systemd"}[name]
        ver = entries[owner].version if owner in entries else book[name]["version"]
        entries[name] = standin_docs(d, name, ver, entries)
    log("fixes to Debian's dfsg tarballs")
    apply_fixes(d, entries)
    entries.update(standin_patches(d, entries, book))

    unknown = set(entries) - set(book)
    if unknown:
        raise SystemExit(f"entries with no book name: {sorted(unknown)}")
    exact, missing = write_packages(d, book_data, entries)

    blfs_data = yaml.safe_load(BLFS_PACKAGES.read_text())
    blfs = {e["name"]: e for e in blfs_data["packages"]}
    log("BLFS sources (packages-blfs.yaml)")
    blfs_entries = blfs_sources(d, blfs)
    bexact, bmissing = write_packages(d, blfs_data, blfs_entries, "packages-blfs-mirror.yaml")
    write_settings(d)
    files = sorted(p.name for p in (d / "mirror").iterdir()
                   if p.is_file() and not p.name.endswith((".part", "MD5SUMS")))
    (d / "mirror" / "MD5SUMS").write_text(
        "".join(f"{md5_of(d / 'mirror' / f)}  {f}\n" for f in files))
    standins = sorted(n for n, e in entries.items() if "STAND-IN" in e.origin)
    size = sum((d / "mirror" / f).stat().st_size for f in files)
    log(f"done in {time.monotonic() - t0:.0f} s: {len(book) - missing}/{len(book)} book names "
        f"present ({exact} with the book's md5), {len(standins)} stand-ins, {missing} missing; "
        f"mirror {size / 2**20:.0f} MiB in {len(files)} files")
    log(f"stand-ins: {', '.join(standins)}")
    if missing:
        log("missing: " + ", ".join(n for n in book if n not in entries))
    log(f"BLFS: {len(blfs) - bmissing}/{len(blfs)} names present ({bexact} with the book's md5)"
        + (", missing: " + ", ".join(n for n in blfs if n not in blfs_entries) if bmissing else "")
        + "; " + "; ".join(f"{n} {e.version} ({e.file})" for n, e in blfs_entries.items()))
    log(f"wrote {d}/packages-mirror.yaml, {d}/packages-blfs-mirror.yaml and {d}/lfs.yaml")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        cmd = " ".join(map(str, exc.cmd))
        sys.exit(f"error: `{cmd[:300]}` failed (exit {exc.returncode}); fix that and run "
                 f"mirror.sh again: it keeps what is done")
