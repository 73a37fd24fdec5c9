# Procps-ng
#: section: ch-system-procps
#: package: procps-ng
#: sbu: 0.1
#: run: chroot
#: tests: optional
# kill comes from util-linux; watch handles 8-bit characters (ncursesw)
./configure --prefix=/usr                           \
            --docdir="/usr/share/doc/procps-ng-$PKG_VERSION" \
            --disable-static                        \
            --disable-kill                          \
            --enable-watch8bit
make

# as tester; "ps with output flag bsdtime,cputime,etime,etimes" fails without
# CONFIG_BSD_PROCESS_ACCT in the host kernel, and a pgrep test may fail in the chroot
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  lfs_tests su tester -c "PATH=$PATH make check"
fi

make install
