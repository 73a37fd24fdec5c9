# Less
#: section: ch-system-less
#: package: less
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --sysconfdir=/etc
make

lfs_tests make check

make install
