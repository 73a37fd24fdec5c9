# Inetutils
#: section: ch-system-inetutils
#: package: inetutils
#: sbu: 0.2
#: run: chroot
#: tests: optional
# builds with gcc 14
sed -i 's/def HAVE_TERMCAP_TGETENT/ 1/' telnet/telnet.c

# no logger (util-linux has a newer one), no outdated whois, no insecure r* programs, no servers
./configure --prefix=/usr        \
            --bindir=/usr/bin    \
            --localstatedir=/var \
            --disable-logger     \
            --disable-whois      \
            --disable-rcp        \
            --disable-rexec      \
            --disable-rlogin     \
            --disable-rsh        \
            --disable-servers
make

lfs_tests make check

make install

# ifconfig belongs in sbin
mv -v /usr/{,s}bin/ifconfig
