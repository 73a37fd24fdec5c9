# Kbd
#: section: ch-system-kbd
#: package: kbd
#: patches: kbd-backspace
#: sbu: 0.1
#: run: chroot
#: tests: optional
# backspace gives code 127 and delete a well-known escape sequence in all i386 keymaps
patch -Np1 -i "$PATCHES/kbd-backspace.patch"

# no resizecons (needs the defunct svgalib; setfont sizes the console) nor its man page
sed -i '/RESIZECONS_PROGS=/s/yes/no/' configure
sed -i 's/resizecons.8 //' docs/man/man8/Makefile.in

# no vlock: it needs PAM
./configure --prefix=/usr --disable-vlock
make

lfs_tests make check

make install

# the documentation (optional in the book)
cp -R -v docs/doc -T "/usr/share/doc/kbd-$PKG_VERSION"
