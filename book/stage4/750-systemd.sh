# Udev from Systemd
#: section: ch-system-udev
#: package: systemd
#: extra: udev-lfs systemd-man
#: versions: udev-lfs
#: sbu: 0.3
#: run: chroot
# Only udev is built from the systemd package (the System V book). The runner has unpacked
# udev-lfs (the LFS rules and helpers) as ./udev-lfs and the systemd man pages as
# ./systemd-man; the book unpacks both with tar from the build directory.

# no render and sgx groups in the default rules
sed -e 's/GROUP="render"/GROUP="video"/' \
    -e 's/GROUP="sgx", //'               \
    -i rules.d/50-udev-default.rules.in

# a rule that needs a full systemd
sed -i '/systemd-sysctl/s/^/#/' rules.d/99-systemd.rules.in

# network configuration paths for a standalone udev
sed -e '/NETWORK_DIRS/s/systemd/udev/' \
    -i src/libsystemd/sd-network/network-util.h

mkdir -p build
cd       build

# release build; /dev/kvm not open to all users; no libsystemd-shared; no rules for the
# logind and vconsole components, which are not installed
meson setup ..                  \
      --prefix=/usr             \
      --buildtype=release       \
      -D mode=release           \
      -D dev-kvm-mode=0660      \
      -D link-udev-shared=false \
      -D logind=false           \
      -D vconsole=false

# the udev helpers shipped
udev_helpers=$(grep "'name' :" ../src/udev/meson.build | \
               awk '{print $3}' | tr -d ",'" | grep -v 'udevadm')
export udev_helpers

# only the components udev needs (word splitting wanted: lists of targets)
# shellcheck disable=SC2046,SC2086
ninja udevadm systemd-hwdb                                           \
      $(ninja -n | grep -Eo '(src/(lib)?udev|rules.d|hwdb.d)/[^ ]*') \
      $(realpath libudev.so --relative-to .)                         \
      $udev_helpers

install -vm755 -d {/usr/lib,/etc}/udev/{hwdb.d,rules.d,network}
install -vm755 -d /usr/{lib,share}/pkgconfig
install -vm755 udevadm                             /usr/bin/
install -vm755 systemd-hwdb                        /usr/bin/udev-hwdb
ln      -svfn  ../bin/udevadm                      /usr/sbin/udevd
cp      -av    libudev.so{,*[0-9]}                 /usr/lib/
install -vm644 ../src/libudev/libudev.h            /usr/include/
install -vm644 src/libudev/*.pc                    /usr/lib/pkgconfig/
install -vm644 src/udev/*.pc                       /usr/share/pkgconfig/
install -vm644 ../src/udev/udev.conf               /etc/udev/
install -vm644 rules.d/* ../rules.d/README         /usr/lib/udev/rules.d/
# shellcheck disable=SC2046  # word splitting wanted: a list of files
install -vm644 $(find ../rules.d/*.rules \
                      -not -name '*power-switch*') /usr/lib/udev/rules.d/
install -vm644 hwdb.d/*  ../hwdb.d/{*.hwdb,README} /usr/lib/udev/hwdb.d/
# shellcheck disable=SC2086  # word splitting wanted: a list of files
install -vm755 $udev_helpers                       /usr/lib/udev
install -vm644 ../network/99-default.link          /usr/lib/udev/network

# custom rules and support files for LFS, from udev-lfs. Its Makefile.lfs is run from here
# under the directory name the book's tar gives it (udev-lfs-<version>).
ln -sfn ../udev-lfs "udev-lfs-$UDEV_LFS_VERSION"
make -f "udev-lfs-$UDEV_LFS_VERSION/Makefile.lfs" install

# the man pages: the book's tar extracts only these members of the man-page tarball
# (--no-same-owner --strip-components=1 -C /usr/share/man --wildcards '*/udev*' '*/libudev*'
# '*/systemd.link.5' '*/systemd-'{hwdb,udevd.service}.8); cp makes them root's as well
(
  cd ../systemd-man
  find . -type f \( -path '*/udev*' -o -path '*/libudev*' -o -path '*/systemd.link.5' \
                    -o -path '*/systemd-hwdb.8' -o -path '*/systemd-udevd.service.8' \) \
       -exec cp -v --parents {} /usr/share/man \;
)
sed 's|systemd/network|udev/network|'                                 \
    /usr/share/man/man5/systemd.link.5                                \
  > /usr/share/man/man5/udev.link.5
sed 's/systemd\(\\\?-\)/udev\1/' /usr/share/man/man8/systemd-hwdb.8   \
                               > /usr/share/man/man8/udev-hwdb.8
sed 's|lib.*udevd|sbin/udevd|'                                        \
    /usr/share/man/man8/systemd-udevd.service.8                       \
  > /usr/share/man/man8/udevd.8
rm /usr/share/man/man*/systemd*

unset udev_helpers

# Configuring Udev: the initial hardware database /etc/udev/hwdb.bin (to be redone whenever the
# hardware information changes)
udev-hwdb update
