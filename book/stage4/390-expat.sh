# Expat
#: section: ch-system-expat
#: package: expat
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr    \
            --disable-static \
            --docdir="/usr/share/doc/expat-$PKG_VERSION"
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install

# the documentation (optional in the book)
install -v -m644 doc/*.{html,css} "/usr/share/doc/expat-$PKG_VERSION"
