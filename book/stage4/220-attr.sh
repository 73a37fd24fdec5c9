# Attr
#: section: ch-system-attr
#: package: attr
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr     \
            --disable-static  \
            --sysconfdir=/etc \
            --docdir="/usr/share/doc/attr-$PKG_VERSION"
make

# the tests need a file system with extended attributes (ext2/3/4)
lfs_tests make check

make install
