# GDBM
#: section: ch-system-gdbm
#: package: gdbm
#: sbu: 0.1
#: run: chroot
#: tests: optional
# --enable-libgdbm-compat: the old DBM routines, which some packages outside LFS need
./configure --prefix=/usr    \
            --disable-static \
            --enable-libgdbm-compat
make

lfs_tests make check

make install
