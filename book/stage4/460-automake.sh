# Automake
#: section: ch-system-automake
#: package: automake
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --docdir="/usr/share/doc/automake-$PKG_VERSION"
make

# at least four parallel jobs (the tests have internal delays); the book counts cores with
# nproc, lfsbuild's job count stands in for it
lfs_tests make -j$((JOBS > 4 ? JOBS : 4)) check

make install
