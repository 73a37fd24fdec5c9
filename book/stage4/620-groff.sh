# Groff
#: section: ch-system-groff
#: package: groff
#: sbu: 0.2
#: run: chroot
#: tests: optional
# PAGE is the default paper size: the book leaves it to the reader (letter in the United
# States, A4 elsewhere). A4 here; it can be changed later by writing A4 or letter into
# /etc/papersize.
PAGE=A4 ./configure --prefix=/usr
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
