# Zlib
#: section: ch-system-zlib
#: package: zlib
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

lfs_tests make check

make install

# a useless static library
rm -fv /usr/lib/libz.a
