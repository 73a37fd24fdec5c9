# IPRoute2
#: section: ch-system-iproute2
#: package: iproute2
#: sbu: 0.1
#: run: chroot
# No working test suite.

# arpd needs Berkeley DB (not in LFS): no arpd directory or man page either
sed -i /ARPD/d Makefile
rm -fv man/man8/arpd.8

make NETNS_RUN_DIR=/run/netns
make SBINDIR=/usr/sbin install

# the documentation (optional in the book)
install -vDm644 COPYING README* -t "/usr/share/doc/iproute2-$PKG_VERSION"
