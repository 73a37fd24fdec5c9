# Gperf
#: section: ch-system-gperf
#: package: gperf
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --docdir="/usr/share/doc/gperf-$PKG_VERSION"
make

# the tests fail when run in parallel
if [ -n "$RUN_TESTS" ]; then
  make -j1 check > "$TEST_DIR/console.log" 2>&1 || true
fi

make install
