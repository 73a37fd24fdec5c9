# General Network Configuration
#: section: ch-config-network
#: files: config/network.conf.tmpl config/etc/hostname.tmpl config/etc/hosts.tmpl config/etc/hosts.static.tmpl config/etc/resolv.conf.tmpl config/etc/sysconfig/ifconfig.tmpl
#: run: chroot
# Host name, /etc/hosts and the network interface, from lfs.system (see book/README.md, stage 5):
#   dhcp   (default) the kernel's own DHCP client (ip=dhcp on the netboot command line) has
#          configured the NIC before init runs. No ifconfig.* file on purpose: the network
#          boot script's `stop` runs ifdown on every UP interface that has one, ONBOOT or not,
#          which at shutdown would cut an NFS root off under the running system. DNS comes
#          from the same DHCP answer, which the kernel publishes in /proc/net/pnp in
#          resolv.conf format (Documentation/admin-guide/nfs/nfsroot.rst).
#   static the book's ifconfig.<nic> (ipv4-static, ONBOOT=yes) and resolv.conf.
#   none   loopback only.
F="$WORK_DIR/files/config"
# shellcheck source=/dev/null
. "$F/network.conf"
case $NETWORK in
  dhcp|static|none) ;;
  *) echo "lfs.system.network is '$NETWORK': use dhcp, static or none" >&2; exit 1 ;;
esac

install -v -m644 "$F/etc/hostname" /etc/hostname
install -v -m644 "$F/etc/hosts" /etc/hosts

# this step owns the interface files: a re-run after a settings change starts clean
rm -fv /etc/sysconfig/ifconfig.*
rm -fv /etc/resolv.conf

case $NETWORK in
  dhcp)
    ln -sv /proc/net/pnp /etc/resolv.conf
    ;;
  static)
    install -v -m644 "$F/etc/sysconfig/ifconfig" "/etc/sysconfig/ifconfig.$NIC"
    install -v -m644 "$F/etc/resolv.conf" /etc/resolv.conf
    # the book's line for the machine's own address, before the IPv6 lines
    sed -i "/^127.0.1.1 /r $F/etc/hosts.static" /etc/hosts
    ;;
esac
