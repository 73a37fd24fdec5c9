# Util-linux
#: section: ch-tools-util-linux
#: package: util-linux
#: sbu: 0.2
#: run: chroot
# the FHS place for the hardware clock's adjtime file
mkdir -pv /var/lib/hwclock

# --disable-*: nothing that needs packages not in LFS or not built yet
./configure --libdir=/usr/lib     \
            --runstatedir=/run    \
            --disable-chfn-chsh   \
            --disable-login       \
            --disable-nologin     \
            --disable-su          \
            --disable-setpriv     \
            --disable-runuser     \
            --disable-pylibmount  \
            --disable-static      \
            --disable-liblastlog2 \
            --without-python      \
            ADJTIME_PATH=/var/lib/hwclock/adjtime \
            --docdir="/usr/share/doc/util-linux-$PKG_VERSION"
make
make install
