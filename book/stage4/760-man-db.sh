# Man-DB
#: section: ch-system-man-db
#: package: man-db
#: sbu: 0.3
#: run: chroot
#: tests: optional
# man not setuid; the system-wide cache owned by bin; default helper programs (lynx, vgrind,
# grap: not in LFS); no systemd tmpfiles or unit directories (System V)
./configure --prefix=/usr                         \
            --docdir="/usr/share/doc/man-db-$PKG_VERSION" \
            --sysconfdir=/etc                     \
            --disable-setuid                      \
            --enable-cache-owner=bin              \
            --with-browser=/usr/bin/lynx          \
            --with-vgrind=/usr/bin/vgrind         \
            --with-grap=/usr/bin/grap             \
            --with-systemdtmpfilesdir=            \
            --with-systemdsystemunitdir=
make

lfs_tests make check

make install
