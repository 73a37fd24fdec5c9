# Bc
#: section: ch-system-bc
#: package: bc
#: sbu: 0.1
#: run: chroot
#: tests: optional
# -G: leave out the tests that need an installed bc; -O3: optimization; -r: use Readline
CC=gcc ./configure --prefix=/usr -G -O3 -r
make

if [ -n "$RUN_TESTS" ]; then
  make test > "$TEST_DIR/console.log" 2>&1 || true
fi

make install
