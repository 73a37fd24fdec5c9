# MPFR
#: section: ch-system-mpfr
#: package: mpfr
#: sbu: 0.2
#: run: chroot
#: tests: critical
# The book: the MPFR test suite here is critical, never to be skipped (lfs.tests=critical).
./configure --prefix=/usr        \
            --disable-static     \
            --enable-thread-safe \
            --docdir="/usr/share/doc/mpfr-$PKG_VERSION"

make
make html

# the book: all 198 tests must pass
lfs_tests make check

make install
make install-html
