# Libtool
#: section: ch-system-libtool
#: package: libtool
#: sbu: 0.6
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name testsuite.log -exec cp --parents {} "$TEST_DIR" \; || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install

# a useless static library
rm -fv /usr/lib/libltdl.a
