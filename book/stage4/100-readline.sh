# Readline
#: section: ch-system-readline
#: package: readline
#: sbu: 0.1
#: run: chroot
# No test suite.

# a reinstall would move the old libraries to .old, which can trigger an ldconfig linking bug
sed -i '/MV.*old/d' Makefile.in
sed -i '/{OLDSUFF}/c:' support/shlib-install

# no rpath in the shared libraries
sed -i 's/-Wl,-rpath,[^ ]*//' support/shobj-conf

./configure --prefix=/usr    \
            --disable-static \
            --with-curses    \
            --docdir="/usr/share/doc/readline-$PKG_VERSION"

# link against libncursesw
make SHLIB_LIBS="-lncursesw"
make install

# the documentation (optional in the book)
install -v -m644 doc/*.{ps,pdf,html,dvi} "/usr/share/doc/readline-$PKG_VERSION"
