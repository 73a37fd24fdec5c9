# Gettext
#: section: ch-system-gettext
#: package: gettext
#: sbu: 1.7
#: run: chroot
#: tests: optional
./configure --prefix=/usr    \
            --disable-static \
            --docdir="/usr/share/doc/gettext-$PKG_VERSION"
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
chmod -v 0755 /usr/lib/preloadable_libintl.so
