# Gzip
#: section: ch-system-gzip
#: package: gzip
#: sbu: 0.3
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

lfs_tests make check

make install
