# Kmod
#: section: ch-system-kmod
#: package: kmod
#: sbu: 0.1
#: run: chroot
# The tests need raw (not sanitized) kernel headers, beyond LFS.
mkdir -p build
cd       build

# no man pages (they need an external program)
meson setup --prefix=/usr ..    \
            --sbindir=/usr/sbin \
            --buildtype=release \
            -D manpages=false
ninja
ninja install
