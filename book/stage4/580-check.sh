# Check
#: section: ch-system-check
#: package: check
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --disable-static
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make docdir="/usr/share/doc/check-$PKG_VERSION" install
