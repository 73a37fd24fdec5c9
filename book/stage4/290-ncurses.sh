# Ncurses
#: section: ch-system-ncurses
#: package: ncurses
#: sbu: 0.2
#: run: chroot
# The test suite can only run after installation (test/, see its README): not run here.
# Not done (the book's optional note): the non-wide-character ABI 5 libraries for binary-only
# programs.
./configure --prefix=/usr           \
            --mandir=/usr/share/man \
            --with-shared           \
            --without-debug         \
            --without-normal        \
            --with-cxx-shared       \
            --enable-pc-files       \
            --with-pkg-config-libdir=/usr/lib/pkgconfig
make

# Installing over the running libncursesw in place may crash the shell using it: install into
# DESTDIR, replace the library with install, make curses.h always use the wide-character ABI,
# then copy the rest.
make DESTDIR="$PWD/dest" install
# the real library file (libncursesw.so.<ABI version>; the book writes the package version)
ncursesw=$(basename "$(readlink -f dest/usr/lib/libncursesw.so)")
install -vm755 "dest/usr/lib/$ncursesw" /usr/lib
rm -v  "dest/usr/lib/$ncursesw"
sed -e 's/^#if.*XOPEN.*$/#if 1/' \
    -i dest/usr/include/curses.h
# the book: cp -av. --remove-destination replaces what chapter 6 left instead of writing through
# it: a temporary-tools terminfo alias that is a symlink (some ncurses snapshots install aliases
# of a name as links to itself, which makes cp -a fail with "Too many levels of symbolic links")
cp --remove-destination -av dest/* /

# programs that link the non-wide-character libraries get the wide ones (safe only because
# curses.h always uses the wide-character ABI now)
for lib in ncurses form panel menu ; do
    ln -sfv "lib${lib}w.so" "/usr/lib/lib${lib}.so"
    ln -sfv "${lib}w.pc"    "/usr/lib/pkgconfig/${lib}.pc"
done

# old programs that link with -lcurses
ln -sfv libncursesw.so /usr/lib/libcurses.so

# the documentation (optional in the book)
cp -v -R doc -T "/usr/share/doc/ncurses-$PKG_VERSION"
