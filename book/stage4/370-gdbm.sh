# GDBM
#: section: ch-system-gdbm
#: package: gdbm
#: sbu: 0.1
#: run: chroot
#: tests: optional
# --enable-libgdbm-compat: the old DBM routines, which some packages outside LFS need
./configure --prefix=/usr    \
            --disable-static \
            --enable-libgdbm-compat
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name testsuite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
