# Findutils
#: section: ch-system-findutils
#: package: findutils
#: sbu: 0.7
#: run: chroot
#: tests: optional
# the locate database in the FHS place, /var/lib/locate
./configure --prefix=/usr --localstatedir=/var/lib/locate
make

# as the unprivileged tester user
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  su tester -c "PATH=$PATH make check" > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
  find . -name '*.sum' -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
