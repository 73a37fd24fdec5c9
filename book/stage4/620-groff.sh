# Groff
#: section: ch-system-groff
#: package: groff
#: sbu: 0.2
#: run: chroot
#: tests: optional
# PAGE is the default paper size: the book leaves it to the reader (letter in the United
# States, A4 elsewhere). A4 here; it can be changed later by writing A4 or letter into
# /etc/papersize.
PAGE=A4 ./configure --prefix=/usr
make

lfs_tests make check

make install
