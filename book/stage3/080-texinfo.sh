# Texinfo
#: section: ch-tools-texinfo
#: package: texinfo
#: sbu: 0.2
#: run: chroot
./configure --prefix=/usr
make
make install
