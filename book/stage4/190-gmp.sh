# GMP
#: section: ch-system-gmp
#: package: gmp
#: sbu: 0.3
#: run: chroot
#: tests: critical
# The book: the GMP test suite here is critical, never to be skipped (lfs.tests=critical).
# GMP is optimized for the build machine's CPU; for libraries that also run on lesser CPUs
# (or after "Illegal instruction" in the tests) the book adds --host=none-linux-gnu.
# On 32-bit x86 with a 64-bit CPU and CFLAGS set, the book's note says: ABI=32 ./configure.
./configure --prefix=/usr    \
            --enable-cxx     \
            --disable-static \
            --docdir="/usr/share/doc/gmp-$PKG_VERSION"

make
make html

# the book: at least 199 tests must pass (the count is in pass-count.txt); the book's
# gmp-check-log (make check 2>&1 | tee) is lfs_tests' console.log
lfs_tests make check
if [ -n "$RUN_TESTS" ]; then
  awk '/# PASS:/{total+=$3} ; END{print total}' "$TEST_DIR/console.log" \
    > "$TEST_DIR/pass-count.txt" || true
  echo "GMP tests passed: $(cat "$TEST_DIR/pass-count.txt") (the book expects at least 199)"
fi

make install
make install-html
