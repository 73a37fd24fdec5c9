# Libffi
#: section: ch-system-libffi
#: package: libffi
#: sbu: 1.7
#: run: chroot
#: tests: optional
# --with-gcc-arch=native optimizes for this machine's CPU (as GMP does). The book: for a
# system that will run on another, less capable CPU, name that CPU's architecture instead, or
# every program using libffi may die with illegal instruction errors.
./configure --prefix=/usr          \
            --disable-static       \
            --with-gcc-arch=native
make

lfs_tests make check

make install
