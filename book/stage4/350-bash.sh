# Bash
#: section: ch-system-bash
#: package: bash
#: sbu: 1.4
#: run: chroot
#: tests: optional
./configure --prefix=/usr             \
            --without-bash-malloc     \
            --with-installed-readline \
            --docdir="/usr/share/doc/bash-$PKG_VERSION"
make

# The tests run as the tester user, who must own the terminal on standard input: Expect spawns
# them on a new pseudo terminal. Output lines from diff (< and >) are failures unless a message
# says the difference can be ignored; run-builtins is known to fail on some hosts.
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  lfs_tests su -s /usr/bin/expect tester << "EOF"
set timeout -1
spawn make tests
expect eof
lassign [wait] _ _ _ value
exit $value
EOF
fi

make install

# The book now runs `exec /usr/bin/bash --login` to replace the running (temporary) bash with
# the new one. That means nothing here: every step is a fresh /bin/bash, so the next step
# already runs the new bash.
