# Xz
#: section: ch-system-xz
#: package: xz
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr    \
            --disable-static \
            --docdir="/usr/share/doc/xz-$PKG_VERSION"
make

lfs_tests make check

make install
