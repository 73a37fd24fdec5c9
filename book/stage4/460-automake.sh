# Automake
#: section: ch-system-automake
#: package: automake
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --docdir="/usr/share/doc/automake-$PKG_VERSION"
make

# at least four parallel jobs (the tests have internal delays); the book counts cores with
# nproc, lfsbuild's job count stands in for it
if [ -n "$RUN_TESTS" ]; then
  make -j$((JOBS > 4 ? JOBS : 4)) check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
