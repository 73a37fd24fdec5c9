# Bison
#: section: ch-tools-bison
#: package: bison
#: sbu: 0.2
#: run: chroot
./configure --prefix=/usr \
            --docdir="/usr/share/doc/bison-$PKG_VERSION"
make
make install
