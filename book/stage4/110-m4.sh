# M4
#: section: ch-system-m4
#: package: m4
#: sbu: 0.3
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

lfs_tests make check

make install
