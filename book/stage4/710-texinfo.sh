# Texinfo
#: section: ch-system-texinfo
#: package: texinfo
#: sbu: 0.3
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name test-suite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install

# the components that belong in a TeX installation (optional in the book)
make TEXMF=/usr/share/texmf install-tex

# Not done: the book's optional recipe to recreate /usr/share/info/dir "if it ever needs to
# be" (pushd /usr/share/info; rm dir; install-info every file): a repair, not a build step.
