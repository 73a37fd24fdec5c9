# Bzip2
#: section: ch-system-bzip2
#: package: bzip2
#: patches: bzip2-docs
#: sbu: 0.1
#: run: chroot
# The package's test runs inside `make` (the book: "Compile and test"); no separate suite.

# install the documentation
patch -Np1 -i "$PATCHES/bzip2-docs.patch"

# relative symbolic links; man pages into /usr/share/man
# shellcheck disable=SC2016  # $(PREFIX) is the Makefile's variable, not the shell's
sed -i 's@\(ln -s -f \)$(PREFIX)/bin/@\1@' Makefile
sed -i "s@(PREFIX)/man@(PREFIX)/share/man@g" Makefile

# libbz2.so, with the utilities linked against it
make -f Makefile-libbz2_so
make clean

make
make PREFIX=/usr install

# the shared library
cp -av libbz2.so.* /usr/lib
ln -sfv "libbz2.so.$PKG_VERSION" /usr/lib/libbz2.so

# the shared bzip2 binary; bzcat and bunzip2 become links to it
cp -v bzip2-shared /usr/bin/bzip2
for i in /usr/bin/{bzcat,bunzip2}; do
  ln -sfv bzip2 "$i"
done

# a useless static library
rm -fv /usr/lib/libbz2.a
