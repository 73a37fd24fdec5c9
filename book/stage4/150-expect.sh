# Expect
#: section: ch-system-expect
#: package: expect
#: patches: expect-gcc14
#: sbu: 0.2
#: run: chroot
#: tests: optional
# Expect needs working PTYs in the chroot. The book's check prints "ok" and says not to go on
# otherwise (the test suites of bash, binutils, GCC, GDBM, expect would fail catastrophically):
# here the step fails instead.
pty=$(python3 -c 'from pty import spawn; spawn(["echo", "ok"])' 2>&1 | tr -d '\r')
if [ "$pty" != "ok" ]; then
  echo "PTYs do not work in the chroot (expected 'ok', got: $pty)" >&2
  echo "check that devpts is mounted on /dev/pts (chapter 7, Virtual Kernel File Systems)" >&2
  exit 1
fi

# builds with gcc 14
patch -Np1 -i "$PATCHES/expect-gcc14.patch"

./configure --prefix=/usr           \
            --with-tcl=/usr/lib     \
            --enable-shared         \
            --disable-rpath         \
            --mandir=/usr/share/man \
            --with-tclinclude=/usr/include
make

lfs_tests make test

make install
ln -svf "expect$PKG_VERSION/libexpect$PKG_VERSION.so" /usr/lib
