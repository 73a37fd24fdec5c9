# Gettext
#: section: ch-tools-gettext
#: package: gettext
#: sbu: 1.3
#: run: chroot
# Only three programs for now, and no shared libraries (the full package is built in chapter 8)
./configure --disable-shared
make

cp -v gettext-tools/src/{msgfmt,msgmerge,xgettext} /usr/bin
