# Lz4
#: section: ch-system-lz4
#: package: lz4
#: sbu: 0.1
#: run: chroot
#: tests: optional
make BUILD_STATIC=no PREFIX=/usr

if [ -n "$RUN_TESTS" ]; then
  make -j1 check > "$TEST_DIR/console.log" 2>&1 || true
fi

make BUILD_STATIC=no PREFIX=/usr install
