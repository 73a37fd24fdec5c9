# Make
#: section: ch-system-make
#: package: make
#: sbu: 0.7
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

# as the unprivileged tester user
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  su tester -c "PATH=$PATH make check" > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
