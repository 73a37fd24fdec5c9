# Bison
#: section: ch-system-bison
#: package: bison
#: sbu: 2.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --docdir="/usr/share/doc/bison-$PKG_VERSION"
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name testsuite.log -exec cp --parents {} "$TEST_DIR" \; || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
