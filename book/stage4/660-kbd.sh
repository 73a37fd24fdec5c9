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

if [ -n "$RUN_TESTS" ]; then
  make check > "$TEST_DIR/console.log" 2>&1 || true
  find . -name testsuite.log -exec cp --parents {} "$TEST_DIR" \; || true
fi

make install

# the documentation (optional in the book)
cp -R -v docs/doc -T "/usr/share/doc/kbd-$PKG_VERSION"
