# Libtool
#: section: ch-system-libtool
#: package: libtool
#: sbu: 0.6
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

lfs_tests make check

make install

# a useless static library
rm -fv /usr/lib/libltdl.a
