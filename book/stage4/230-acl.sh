# Acl
#: section: ch-system-acl
#: package: acl
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr         \
            --disable-static      \
            --docdir="/usr/share/doc/acl-$PKG_VERSION"
make

# the tests need a file system with access controls; test/cp.test is known to fail (coreutils
# has no acl support yet)
if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
