# SysVinit
#: section: ch-system-sysvinit
#: package: sysvinit
#: patches: sysvinit-consolidated
#: sbu: 0.1
#: run: chroot
# No test suite.

# no programs that other packages install; a clearer message; a compiler warning fixed
patch -Np1 -i "$PATCHES/sysvinit-consolidated.patch"

make
make install
