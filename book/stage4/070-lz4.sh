# Lz4
#: section: ch-system-lz4
#: package: lz4
#: sbu: 0.1
#: run: chroot
#: tests: optional
make BUILD_STATIC=no PREFIX=/usr

lfs_tests make -j1 check

make BUILD_STATIC=no PREFIX=/usr install
