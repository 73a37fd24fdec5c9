# Xz
#: section: ch-tools-xz
#: package: xz
#: sbu: 0.1
#: run: user
# docdir carries the package version, as the book's does
./configure --prefix=/usr                       \
            --host="$LFS_TGT"                   \
            --build="$(build-aux/config.guess)" \
            --disable-static                    \
            --docdir="/usr/share/doc/xz-$PKG_VERSION"
make
make DESTDIR="$LFS" install

# libtool archives are harmful when cross-compiling
rm -v "$LFS/usr/lib/liblzma.la"
