# File
#: section: ch-system-file
#: package: file
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

lfs_tests make check

make install
