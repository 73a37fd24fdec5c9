# Managing Devices
#: section: ch-config-symlinks
#: files: config/network.conf.tmpl
#: run: chroot
# Network device names. A netbooted kernel configures its NIC itself (ip=dhcp) under the
# kernel's name, eth0, before udev runs; udev's persistent naming would then try to rename a
# live interface (enp0s3 ...) that the NFS root or the DHCP lease depends on. So when the
# configured NIC (lfs.system.nic) is a kernel name (ethN), keep kernel names: masking udev's
# net_setup_link rule does what the book's `net.ifnames=0` on the kernel command line does,
# without depending on the boot loader. With a predictable name (enp1s0 ...) udev's default
# naming stays on.
# shellcheck source=/dev/null
. "$WORK_DIR/files/config/network.conf"

install -v -d -m755 /etc/udev/rules.d
case $NIC in
  eth[0-9]*)
    ln -sfv /dev/null /etc/udev/rules.d/80-net-setup-link.rules
    ;;
  *)
    if [ -L /etc/udev/rules.d/80-net-setup-link.rules ]; then
      rm -v /etc/udev/rules.d/80-net-setup-link.rules
    fi
    ;;
esac
