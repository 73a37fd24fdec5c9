# Gperf
#: section: ch-system-gperf
#: package: gperf
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr --docdir="/usr/share/doc/gperf-$PKG_VERSION"
make

# the tests fail when run in parallel
lfs_tests make -j1 check

make install
