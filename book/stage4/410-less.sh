# Less
#: section: ch-system-less
#: package: less
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --sysconfdir=/etc
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
fi

make install
