# Flex
#: section: ch-system-flex
#: package: flex
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr \
            --docdir="/usr/share/doc/flex-$PKG_VERSION" \
            --disable-static
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install

# lex runs flex in lex emulation mode
ln -sfv flex   /usr/bin/lex
ln -sfv flex.1 /usr/share/man/man1/lex.1
