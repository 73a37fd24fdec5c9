# Gettext
#: section: ch-system-gettext
#: package: gettext
#: sbu: 1.7
#: run: chroot
#: tests: optional
./configure --prefix=/usr    \
            --disable-static \
            --docdir="/usr/share/doc/gettext-$PKG_VERSION"
make

lfs_tests make check

make install
chmod -v 0755 /usr/lib/preloadable_libintl.so
