# Libelf from Elfutils
#: section: ch-system-libelf
#: package: elfutils
#: sbu: 0.3
#: run: chroot
#: tests: optional
# Only libelf is installed from the elfutils package.
./configure --prefix=/usr                \
            --disable-debuginfod         \
            --enable-libdebuginfod=dummy
make

lfs_tests make check

make -C libelf install
install -vm644 config/libelf.pc /usr/lib/pkgconfig
rm /usr/lib/libelf.a
