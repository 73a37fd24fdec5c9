# Texinfo
#: section: ch-system-texinfo
#: package: texinfo
#: sbu: 0.3
#: run: chroot
#: tests: optional
./configure --prefix=/usr
make

lfs_tests make check

make install

# the components that belong in a TeX installation (optional in the book)
make TEXMF=/usr/share/texmf install-tex

# Not done: the book's optional recipe to recreate /usr/share/info/dir "if it ever needs to
# be" (pushd /usr/share/info; rm dir; install-info every file): a repair, not a build step.
