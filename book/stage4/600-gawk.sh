# Gawk
#: section: ch-system-gawk
#: package: gawk
#: sbu: 0.2
#: run: chroot
#: tests: optional
# the unneeded extras are not installed
sed -i 's/extras//' Makefile.in

./configure --prefix=/usr
make

# as the unprivileged tester user
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  lfs_tests su tester -c "PATH=$PATH make check"
fi

# the install does not recreate the hard link gawk-<version> when it exists (from chapter 6)
rm -f "/usr/bin/gawk-$PKG_VERSION"
make install

# awk is a link to gawk already; its man page too
ln -sfv gawk.1 /usr/share/man/man1/awk.1

# the documentation (optional in the book)
install -vDm644 doc/{awkforai.txt,*.{eps,pdf,jpg}} -t "/usr/share/doc/gawk-$PKG_VERSION"
