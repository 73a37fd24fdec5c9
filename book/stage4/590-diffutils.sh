# Diffutils
#: section: ch-system-diffutils
#: package: diffutils
#: sbu: 0.4
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

lfs_tests make check

make install
