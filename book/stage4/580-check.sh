# Check
#: section: ch-system-check
#: package: check
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --disable-static
make

lfs_tests make check

make docdir="/usr/share/doc/check-$PKG_VERSION" install
