# Bc
#: section: ch-system-bc
#: package: bc
#: sbu: 0.1
#: run: chroot
#: tests: optional
# -G: leave out the tests that need an installed bc; -O3: optimization; -r: use Readline
CC=gcc ./configure --prefix=/usr -G -O3 -r
make

lfs_tests make test

make install
