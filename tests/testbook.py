"""A small real book for engine tests: tiny C packages with configure + Makefile, real recipes.

stage1: layout (root, like the book's chapter 4) -> libgreet (a static library installed into
$LFS/tools) -> hello (links against it) -> check (runs it); stage2: one more package. Every
recipe is plain bash compiled with the host compiler, exactly like a real book section.
`TestBook.add_suite_step` adds a step with a real (tiny, failing) test suite, as chapter 8 has.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import make_tarball, md5, packages_yaml
from httpserver import FileServer

TEST_USER = "lfsbt"   # the build user the engine tests run stages 1-2 as

CONFIGURE = """#!/bin/sh
# a tiny autoconf-style configure: --prefix only, writes config.mk
prefix=/usr/local
for arg in "$@"; do
  case $arg in --prefix=*) prefix=${arg#--prefix=} ;; esac
done
echo "PREFIX=$prefix" > config.mk
echo "configured with prefix $prefix"
"""

LIB_MAKEFILE = """include config.mk
libgreet.a: greet.o
\tar rcs $@ $^
greet.o: greet.c greet.h
\t$(CC) -c -o $@ greet.c
install: libgreet.a
\tmkdir -p $(PREFIX)/lib $(PREFIX)/include
\tcp libgreet.a $(PREFIX)/lib/
\tcp greet.h $(PREFIX)/include/
"""

APP_MAKEFILE = """include config.mk
hello: hello.c
\t$(CC) -I$(PREFIX)/include -o $@ hello.c -L$(PREFIX)/lib -lgreet
install: hello
\tmkdir -p $(PREFIX)/bin
\tcp hello $(PREFIX)/bin/
"""

# `make check` the way automake's harness does it: each test's output in its .log, a line per
# result on the console, the counts in tests/test-suite.log, and make fails when a test did.
# It also leaves a mark in $LFS/tools, so a test can tell whether the suite ran at all.
SUITE_MAKEFILE = """include config.mk
all:
\ttrue
check:
\techo ran >> $(LFS)/tools/suite-check.ran
\tpass=0; fail=0; for t in t1 t2 t3; do \\
\t  if sh tests/$$t.sh > tests/$$t.log 2>&1; then pass=$$((pass+1)); echo "PASS: $$t"; \\
\t  else fail=$$((fail+1)); echo "FAIL: $$t"; fi; \\
\tdone; \\
\tprintf '# TOTAL: %s\\n# PASS:  %s\\n# FAIL:  %s\\n' $$((pass + fail)) $$pass $$fail \\
\t  > tests/test-suite.log; \\
\techo "suite: $$fail of $$((pass + fail)) tests failed" >&2; \\
\ttest $$fail -eq 0
"""

TARBALLS = {
    "libgreet": ("1.0", {"configure": CONFIGURE, "Makefile": LIB_MAKEFILE,
                         "greet.h": "const char *greet(void);\n",
                         "greet.c": '#include "greet.h"\nconst char *greet(void){return "hello, lfs";}\n'}),
    "hello": ("2.3", {"configure": CONFIGURE, "Makefile": APP_MAKEFILE,
                      "hello.c": '#include <stdio.h>\n#include "greet.h"\n'
                                 'int main(void){puts(greet());return 0;}\n'}),
    "extra": ("0.1", {"configure": CONFIGURE, "Makefile": "all:\n\ttrue\n",
                      "README": "stage two package\n"}),
    # a result file shipped in the tarball (older than the step) is not this run's result
    "suite": ("1.0", {"configure": CONFIGURE, "Makefile": SUITE_MAKEFILE,
                      "tests/t1.sh": "true\n", "tests/t2.sh": "test 1 -lt 2\n",
                      "tests/t3.sh": "echo 'expected 4, got 5'\nexit 1\n",
                      "old/test-suite.log": "# TOTAL: 100\n# PASS:  100\n"}),
}

RECIPES = {
    "stage1/010-layout.sh": """# Layout
#: run: root
#: sbu: 0
mkdir -pv "$LFS/tools" "$LFS/usr"
chown -v "$LFS_USER" "$LFS/tools" "$LFS/usr"
""",
    "stage1/020-libgreet.sh": """# libgreet
#: package: libgreet
#: sbu: 1
./configure --prefix="$LFS/tools"
make
make install
date +%s.%N > "$LFS/tools/libgreet.stamp"
""",
    "stage1/030-hello.sh": """# hello
#: package: hello
#: sbu: 0.5
./configure --prefix="$LFS/tools"
make
make install
date +%s.%N > "$LFS/tools/hello.stamp"
""",
    "stage1/040-check.sh": """# check
#: sbu: 0.1
test "$("$LFS/tools/bin/hello")" = "hello, lfs"
echo check passed > "$LFS/tools/check.stamp"
""",
    "stage2/010-extra.sh": """# extra
#: package: extra
#: sbu: 0.1
./configure --prefix="$LFS/usr"
make
touch "$LFS/usr/extra.stamp"
""",
}


# The book's form of a test suite: its command behind lfs_tests, nothing of the harness. The
# second call feeds a here-document (bash's tests feed one to `su -s /usr/bin/expect tester`).
SUITE_RECIPE = """# suite
#: package: suite
#: tests: optional
#: sbu: 0
./configure --prefix="$LFS/tools"
make
lfs_tests make check
lfs_tests sh << "EOF"
echo "read from a here-document"
EOF
echo "after the suite" > "$LFS/tools/suite.stamp"
"""


@dataclass
class TestBook:
    root: Path          # holds book/, packages.yaml, tarballs/
    book: Path
    packages: Path
    tarballs: dict[str, bytes]

    def recipe(self, rel: str) -> Path:
        return self.book / rel

    def edit(self, rel: str, old: str, new: str) -> None:
        p = self.recipe(rel)
        text = p.read_text()
        assert old in text, (old, rel)
        p.write_text(text.replace(old, new, 1))

    def add_suite_step(self, rel: str = "stage1/050-suite.sh") -> str:
        """Add the step with a real test suite (not in the default book: it would change the
        step counts other tests rely on); returns its step id."""
        self.recipe(rel).write_text(SUITE_RECIPE)
        stage, name = rel.split("/")
        return f"{stage}/{name.split('-', 1)[1].removesuffix('.sh')}"


def make_test_book(root: Path, base_url: str) -> TestBook:
    tarballs = {f"{n}-{v}.tar.gz": make_tarball(n, v, files) for n, (v, files) in TARBALLS.items()}
    book = root / "book"
    for rel, text in RECIPES.items():
        (book / rel).parent.mkdir(parents=True, exist_ok=True)
        (book / rel).write_text(text)
    entries = [{"name": n, "version": v, "url": f"{base_url}/{n}-{v}.tar.gz",
                "md5": md5(tarballs[f"{n}-{v}.tar.gz"])} for n, (v, _) in TARBALLS.items()]
    pk = root / "packages.yaml"
    pk.write_text(packages_yaml(entries))
    return TestBook(root, book, pk, tarballs)


#: stage 1 of the book for manifest tests: every recipe deterministic (no `date` stamps), and
#: the cases manifests must get right - a symlink, a file a later step overwrites (strip), a
#: file a later step deletes (cleanup) - like the book's chapter 8 stripping and cleaning up.
MANIFEST_STAGE1 = {
    "stage1/010-layout.sh": RECIPES["stage1/010-layout.sh"],
    "stage1/020-libgreet.sh": """# libgreet
#: package: libgreet
#: sbu: 1
./configure --prefix="$LFS/tools"
make
make install
mkdir -p "$LFS/tools/share/doc/libgreet"
echo "libgreet: says hello" > "$LFS/tools/share/doc/libgreet/README"
""",
    "stage1/030-hello.sh": """# hello
#: package: hello
#: sbu: 0.5
./configure --prefix="$LFS/tools"
make
make install
ln -sfv hello "$LFS/tools/bin/hi"
mkdir -p "$LFS/tools/share/doc/hello"
echo "hello: prints a greeting" > "$LFS/tools/share/doc/hello/README"
""",
    "stage1/040-check.sh": RECIPES["stage1/040-check.sh"].replace(
        '"$LFS/tools/bin/hello"', '"$LFS/tools/bin/hi"'),
    "stage1/050-strip.sh": """# Stripping
#: sbu: 0
strip --strip-unneeded "$LFS/tools/bin/hello"
""",
    "stage1/060-cleanup.sh": """# Cleaning up
#: sbu: 0
rm -v "$LFS/tools/share/doc/hello/README"
""",
}


def make_manifest_book(root: Path, base_url: str) -> TestBook:
    """The test book with MANIFEST_STAGE1 as its stage 1 (stage 2 unchanged)."""
    tb = make_test_book(root, base_url)
    for old in (tb.book / "stage1").glob("*.sh"):
        old.unlink()
    for rel, text in MANIFEST_STAGE1.items():
        tb.recipe(rel).write_text(text)
    return tb


@contextlib.contextmanager
def served_world(make: Callable[[Path, str], "TestBook"], prefix: str) -> Iterator[dict]:
    """A world-readable temp dir (the build user must reach $LFS), the book `make` writes,
    served over HTTP on 127.0.0.1, and the environment that points `invoke` at all of it."""
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    base.chmod(0o755)
    srv = FileServer()
    try:
        with srv:
            tb = make(base, f"{srv.url}/pub")
            srv.files.update(tb.tarballs)
            env = dict(os.environ, INVOKE_LFS_ROOT=str(base / "lfs"),
                       INVOKE_LFS_SOURCES=str(base / "sources"),
                       INVOKE_LFS_PACKAGES=str(tb.packages), INVOKE_LFS_BOOK=str(tb.book),
                       INVOKE_LFS_USER=TEST_USER, INVOKE_LFS_JOBS="2", INVOKE_LFS_MIRRORS="",
                       INVOKE_LFS_HOST_CHECK="0")
            yield {"base": base, "lfs": base / "lfs", "tb": tb, "env": env, "srv": srv}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def state_of(w: dict) -> dict:
    """The step records of a served world's build (its $LFS/.lfsbuild/state.json)."""
    return json.loads((w["lfs"] / ".lfsbuild" / "state.json").read_text())["steps"]
