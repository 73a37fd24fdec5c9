# Binutils
#: section: ch-system-binutils
#: package: binutils
#: sbu: 1.6
#: run: chroot
#: tests: critical
# The book: the binutils test suite here is critical, never to be skipped (lfs.tests=critical).
mkdir -v build
cd build

../configure --prefix=/usr       \
             --sysconfdir=/etc   \
             --enable-ld=default \
             --enable-plugins    \
             --enable-shared     \
             --disable-werror    \
             --enable-64-bit-bfd \
             --enable-new-dtags  \
             --with-system-zlib  \
             --enable-default-hash-style=gnu

# tooldir=/usr: no target-specific /usr/<triplet> directory
make tooldir=/usr

lfs_tests make -k check
# the book's list of failed tests
if [ -n "$RUN_TESTS" ]; then
  find . -name '*.log' -exec grep -H '^FAIL:' {} + > "$TEST_DIR/failed.txt" || true
fi

make tooldir=/usr install

# useless static libraries and other files
rm -rfv /usr/lib/lib{bfd,ctf,ctf-nobfd,gprofng,opcodes,sframe}.a \
        /usr/share/doc/gprofng/
