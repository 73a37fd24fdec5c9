# Libxcrypt
#: section: ch-system-libxcrypt
#: package: libxcrypt
#: sbu: 0.1
#: run: chroot
#: tests: optional
# Not done (the book's optional note): a second build with --enable-obsolete-api=glibc for
# binary-only programs that need libcrypt.so.1.
./configure --prefix=/usr                \
            --enable-hashes=strong,glibc \
            --enable-obsolete-api=no     \
            --disable-static             \
            --disable-failure-tokens
make

lfs_tests make check

make install
