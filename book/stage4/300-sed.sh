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
  lfs_tests su tester -c "PATH=$PATH make check"
fi

make install
install -d -m755           "/usr/share/doc/sed-$PKG_VERSION"
install -m644 doc/sed.html "/usr/share/doc/sed-$PKG_VERSION"
