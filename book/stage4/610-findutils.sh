# Findutils
#: section: ch-system-findutils
#: package: findutils
#: sbu: 0.7
#: run: chroot
#: tests: optional
# the locate database in the FHS place, /var/lib/locate
./configure --prefix=/usr --localstatedir=/var/lib/locate
make

# as the unprivileged tester user
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  lfs_tests su tester -c "PATH=$PATH make check"
fi

make install
