# Patch
#: section: ch-system-patch
#: package: patch
#: sbu: 0.2
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

lfs_tests make check

make install
