# MPC
#: section: ch-system-mpc
#: package: mpc
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr    \
            --disable-static \
            --docdir="/usr/share/doc/mpc-$PKG_VERSION"

make
make html

lfs_tests make check

make install
make install-html
