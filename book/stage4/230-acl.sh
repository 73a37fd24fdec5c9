# Acl
#: section: ch-system-acl
#: package: acl
#: sbu: 0.1
#: run: chroot
#: tests: optional
./configure --prefix=/usr         \
            --disable-static      \
            --docdir="/usr/share/doc/acl-$PKG_VERSION"
make

# the tests need a file system with access controls; test/cp.test is known to fail (coreutils
# has no acl support yet)
lfs_tests make check

make install
