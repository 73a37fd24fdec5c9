# Attr
#: section: ch-system-attr
#: package: attr
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr     \
            --disable-static  \
            --sysconfdir=/etc \
            --docdir="/usr/share/doc/attr-$PKG_VERSION"
make

# the tests need a file system with extended attributes (ext2/3/4)
if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
