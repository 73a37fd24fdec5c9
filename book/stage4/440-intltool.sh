# Intltool
#: section: ch-system-intltool
#: package: intltool
#: sbu: 0.1
#: run: chroot
#: tests: optional
# a warning with perl 5.22 and later: a backslash before the brace in '\${' (giving '\$\{')
# shellcheck disable=SC2016  # the text to edit, not a shell expansion
sed -i 's:\\\${:\\\$\\{:' intltool-update.in

./configure --prefix=/usr
make

lfs_tests make check

make install
install -v -Dm644 doc/I18N-HOWTO "/usr/share/doc/intltool-$PKG_VERSION/I18N-HOWTO"
