# Ncurses
#: section: ch-tools-ncurses
#: package: ncurses
#: sbu: 0.4
#: run: user
# First a native `tic` for the build machine, used to install the terminfo database.
mkdir build
pushd build
  ../configure AWK=gawk
  make -C include
  make -C progs tic
popd

./configure --prefix=/usr                \
            --host="$LFS_TGT"            \
            --build="$(./config.guess)"  \
            --mandir=/usr/share/man      \
            --with-manpage-format=normal \
            --with-shared                \
            --without-normal             \
            --with-cxx-shared            \
            --without-debug              \
            --without-ada                \
            --disable-stripping          \
            AWK=gawk
make
make DESTDIR="$LFS" TIC_PATH="$(pwd)/build/progs/tic" install

# programs asking for libncurses get the wide-character library; (ln -f: re-runnable)
ln -sfv libncursesw.so "$LFS/usr/lib/libncurses.so"
# the wide-character definitions are always wanted
sed -e 's/^#if.*XOPEN.*$/#if 1/' \
    -i "$LFS/usr/include/curses.h"
