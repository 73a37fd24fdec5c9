# Tcl
#: section: ch-system-tcl
#: package: tcl
#: extra: tcl-docs
#: sbu: 3.1
#: run: chroot
#: tests: optional
# Tcl, Expect and DejaGNU are here to run the test suites of binutils, GCC and others.
# The HTML documentation (the book's optional tar -xf ... --strip-components=1 into this tree)
# is unpacked by the runner as ./tcl-docs (its html/ directory is ./tcl-docs/html).

# the library's major.minor version (tclsh8.6, libtcl8.6.so): read from the package
tcl_mm=${PKG_VERSION%.*}

SRCDIR=$(pwd)
cd unix
./configure --prefix=/usr           \
            --mandir=/usr/share/man \
            --disable-rpath

make

# the installed configuration files point at /usr, not at this build tree
sed -e "s|$SRCDIR/unix|/usr/lib|" \
    -e "s|$SRCDIR|/usr/include|"  \
    -i tclConfig.sh

# the same for the bundled tdbc and itcl, built in unix/pkgs/tdbcX.Y.Z and unix/pkgs/itclX.Y.Z
# (their versions are read from the tree; a release without one of them skips it)
for cfg in pkgs/tdbc[0-9]*/tdbcConfig.sh; do
  [ -e "$cfg" ] || continue
  tdbc=$(basename "$(dirname "$cfg")")
  sed -e "s|$SRCDIR/unix/pkgs/$tdbc|/usr/lib/$tdbc|" \
      -e "s|$SRCDIR/pkgs/$tdbc/generic|/usr/include|"    \
      -e "s|$SRCDIR/pkgs/$tdbc/library|/usr/lib/tcl$tcl_mm|" \
      -e "s|$SRCDIR/pkgs/$tdbc|/usr/include|"            \
      -i "pkgs/$tdbc/tdbcConfig.sh"
done
for cfg in pkgs/itcl[0-9]*/itclConfig.sh; do
  [ -e "$cfg" ] || continue
  itcl=$(basename "$(dirname "$cfg")")
  sed -e "s|$SRCDIR/unix/pkgs/$itcl|/usr/lib/$itcl|" \
      -e "s|$SRCDIR/pkgs/$itcl/generic|/usr/include|"    \
      -e "s|$SRCDIR/pkgs/$itcl|/usr/include|"            \
      -i "pkgs/$itcl/itclConfig.sh"
done

unset SRCDIR

lfs_tests make test

make install

# writable, so that debugging symbols can be stripped later
chmod -v u+w "/usr/lib/libtcl$tcl_mm.so"

# Expect needs Tcl's headers
make install-private-headers

ln -sfv "tclsh$tcl_mm" /usr/bin/tclsh

# conflicts with a Perl man page
mv /usr/share/man/man3/{Thread,Tcl_Thread}.3

# the documentation (optional in the book)
cd ..
mkdir -v -p "/usr/share/doc/tcl-$PKG_VERSION"
cp -v -r ./tcl-docs/html/* "/usr/share/doc/tcl-$PKG_VERSION"
