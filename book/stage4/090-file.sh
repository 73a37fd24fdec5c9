# File
#: section: ch-system-file
#: package: file
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
