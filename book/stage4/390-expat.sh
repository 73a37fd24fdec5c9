# Expat
#: section: ch-system-expat
#: package: expat
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr    \
            --disable-static \
            --docdir="/usr/share/doc/expat-$PKG_VERSION"
make

lfs_tests make check

make install

# the documentation (optional in the book)
install -v -m644 doc/*.{html,css} "/usr/share/doc/expat-$PKG_VERSION"
