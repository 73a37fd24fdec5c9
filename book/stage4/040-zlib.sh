# Zlib
#: section: ch-system-zlib
#: package: zlib
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
fi

make install

# a useless static library
rm -fv /usr/lib/libz.a
