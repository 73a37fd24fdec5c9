# Make
#: section: ch-system-make
#: package: make
#: sbu: 0.7
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

# as the unprivileged tester user
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  lfs_tests su tester -c "PATH=$PATH make check"
fi

make install
