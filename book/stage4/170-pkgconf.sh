# Pkgconf
#: section: ch-system-pkgconf
#: package: pkgconf
#: sbu: 0.1
#: run: chroot
./configure --prefix=/usr              \
            --disable-static           \
            --docdir="/usr/share/doc/pkgconf-$PKG_VERSION"
make
make install

# compatibility with the original pkg-config
ln -sfv pkgconf   /usr/bin/pkg-config
ln -sfv pkgconf.1 /usr/share/man/man1/pkg-config.1
