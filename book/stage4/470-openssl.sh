# OpenSSL
#: section: ch-system-openssl
#: package: openssl
#: sbu: 1.8
#: run: chroot
#: tests: optional
./config --prefix=/usr         \
         --openssldir=/etc/ssl \
         --libdir=lib          \
         shared                \
         zlib-dynamic
make

# 30-test_afalg.t fails when the host kernel lacks the AF_ALG AES-CBC options: ignorable.
# The book: HARNESS_JOBS=$(nproc); here the job count lfsbuild was given.
HARNESS_JOBS=$JOBS lfs_tests make test

# no static libraries
sed -i '/INSTALL_LIBS/s/libcrypto.a libssl.a//' Makefile
make MANSUFFIX=ssl install

# the documentation directory carries the version, as for other packages
mv -v /usr/share/doc/openssl "/usr/share/doc/openssl-$PKG_VERSION"

# more documentation (optional in the book)
cp -vfr doc/* "/usr/share/doc/openssl-$PKG_VERSION"
