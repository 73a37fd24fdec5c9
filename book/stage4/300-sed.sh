# Sed
#: section: ch-system-sed
#: package: sed
#: sbu: 0.3
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make
make html

# as the unprivileged tester user
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  su tester -c "PATH=$PATH make check" > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install
install -d -m755           "/usr/share/doc/sed-$PKG_VERSION"
install -m644 doc/sed.html "/usr/share/doc/sed-$PKG_VERSION"
