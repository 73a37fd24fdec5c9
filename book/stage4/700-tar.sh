# Tar
#: section: ch-system-tar
#: package: tar
#: sbu: 0.6
#: run: chroot
#: tests: optional
# FORCE_UNSAFE_CONFIGURE: the mknod test runs as root (acceptable on a half-built system)
FORCE_UNSAFE_CONFIGURE=1  \
./configure --prefix=/usr
make

# "capabilities: binary store/restore" fails without selinux (skipped when the file system
# has no extended attributes or security labels)
lfs_tests make check

make install
make -C doc install-html docdir="/usr/share/doc/tar-$PKG_VERSION"
