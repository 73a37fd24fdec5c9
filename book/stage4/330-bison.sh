# Bison
#: section: ch-system-bison
#: package: bison
#: sbu: 2.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --docdir="/usr/share/doc/bison-$PKG_VERSION"
make

lfs_tests make check

make install
