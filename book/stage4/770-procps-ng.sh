# Procps-ng
#: section: ch-system-procps
#: package: procps-ng
#: sbu: 0.1
#: run: chroot
#: tests: optional
# kill comes from util-linux; watch handles 8-bit characters (ncursesw)
./configure --prefix=/usr                           \
            --docdir="/usr/share/doc/procps-ng-$PKG_VERSION" \
            --disable-static                        \
            --disable-kill                          \
            --enable-watch8bit
make

# as tester; "ps with output flag bsdtime,cputime,etime,etimes" fails without
# CONFIG_BSD_PROCESS_ACCT in the host kernel, and a pgrep test may fail in the chroot
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  su tester -c "PATH=$PATH make check" > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
  find . -name '*.sum' -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
