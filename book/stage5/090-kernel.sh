# Linux
#: section: ch-bootable-kernel
#: package: linux
#: files: kernel config/release.tmpl config/etc/modprobe.d/usb.conf
#: sbu: 2.5
#: run: chroot
# The book: "0.4 - 32 SBU (typically about 2.5 SBU)"; defconfig plus the netboot fragment is
# near the typical figure.
make mrproper

# Configuration, instead of the book's `make menuconfig`: defconfig, then the fragments
# kernel/netboot.config (the book's System V options + what a netbooted machine needs) and your
# own kernel/*.config from lfs.overlay (after it, so yours win), then olddefconfig, and the step
# FAILS if any option of the fragments did not survive (chroot/kernel/configure.sh, which the
# CI test runs too).
K="$WORK_DIR/files/kernel"
fragments=("$K/netboot.config")
for f in "$K"/*.config; do
  [ "$f" = "$K/netboot.config" ] || fragments+=("$f")
done
bash "$K/configure.sh" "${fragments[@]}"

make
make modules_install

release=$(cat "$WORK_DIR/files/config/release")
cp -v arch/x86/boot/bzImage "/boot/vmlinuz-$PKG_VERSION-lfs-$release"
cp -v System.map "/boot/System.map-$PKG_VERSION"
cp -v .config "/boot/config-$PKG_VERSION"
cp -r Documentation -T "/usr/share/doc/linux-$PKG_VERSION"

# module load order for the USB host controllers, if they are built as modules
install -v -m755 -d /etc/modprobe.d
install -v -m644 "$WORK_DIR/files/config/etc/modprobe.d/usb.conf" /etc/modprobe.d/usb.conf
