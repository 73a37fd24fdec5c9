# Coreutils
#: section: ch-system-coreutils
#: package: coreutils
#: patches: coreutils-i18n
#: sbu: 1.2
#: run: chroot
#: tests: optional
# POSIX: character boundaries in multibyte locales, and other i18n fixes (a patch with known
# bugs: check a bug without it before reporting it upstream)
patch -Np1 -i "$PATCHES/coreutils-i18n.patch"

# the patch changed the build system: regenerate it (not -i: configure.ac names an old
# gettext), then update automake's auxiliary files; FORCE_UNSAFE_CONFIGURE: building as root;
# kill and uptime come from other packages
autoreconf -fv
automake -af
FORCE_UNSAFE_CONFIGURE=1 ./configure \
            --prefix=/usr            \
            --enable-no-install-program=kill,uptime
make

if [ -n "$RUN_TESTS" ]; then
  # the tests meant for root
  lfs_tests make NON_ROOT_USERNAME=tester check-root
  # the rest as tester, a member of a second (temporary) group so no test is skipped;
  # standard input /dev/null, not a host PTY that the chroot cannot open
  groupadd -g 102 dummy -U tester || true
  chown -R tester .
  lfs_tests su tester -c "PATH=$PATH make -k RUN_EXPENSIVE_TESTS=yes check" \
     < /dev/null
  groupdel dummy || true
fi

make install

# FHS locations
mv -v /usr/bin/chroot /usr/sbin
mv -v /usr/share/man/man1/chroot.1 /usr/share/man/man8/chroot.8
sed -i 's/"1"/"8"/' /usr/share/man/man8/chroot.8
