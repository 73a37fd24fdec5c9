# Flex
#: section: ch-system-flex
#: package: flex
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr \
            --docdir="/usr/share/doc/flex-$PKG_VERSION" \
            --disable-static
make

lfs_tests make check

make install

# lex runs flex in lex emulation mode
ln -sfv flex   /usr/bin/lex
ln -sfv flex.1 /usr/share/man/man1/lex.1
