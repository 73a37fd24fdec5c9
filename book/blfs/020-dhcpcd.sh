# dhcpcd
#: section: dhcpcd
#: package: dhcpcd
#: extra: blfs-bootscripts
#: files: config/network.conf.tmpl blfs/etc/sysconfig/ifconfig.dhcpcd.tmpl
#: sbu: 0.1
#: run: chroot
# BLFS 12.3, networking/connect/dhcpcd.xml (sections dhcpcd, dhcpcd-privsep, dhcpcd-init).
# Dependencies: BLFS lists only optional ones (LLVM, ntp, chronyd, ypbind); none is used.
# The book's default build, without privilege separation ("the practical security benefits
# are unclear ... the book currently defaults to disable it"), so its dhcpcd user and
# /var/lib/dhcpcd ownership (the privsep variant, section dhcpcd-privsep) are not needed.
# Not run: the book's `make test`.
./configure --prefix=/usr                \
            --sysconfdir=/etc            \
            --libexecdir=/usr/lib/dhcpcd \
            --dbdir=/var/lib/dhcpcd      \
            --runstatedir=/run           \
            --disable-privsep
make
make install

# The network service script /usr/lib/services/dhcpcd, from the BLFS bootscripts
(cd blfs-bootscripts && make install-service-dhcpcd)

F="$WORK_DIR/files"
# shellcheck source=/dev/null
. "$F/config/network.conf"
if [ "$NETWORK" != dhcp ]; then
  # static/none: stage 5 configured the interface; dhcpcd is installed for manual use only
  echo "note: lfs.system.network is '$NETWORK': no interface is handed to dhcpcd" >&2
  exit 0
fi

# /etc/sysconfig/ifconfig.<nic> with SERVICE="dhcpcd", the book's file with the start and stop
# options it leaves to the reader ("examine the man page for dhcpcd"). The kernel's ip=dhcp
# has configured the NIC before init and never renews its lease; dhcpcd takes it over without
# ever taking the address away from a running system (its NFS root, its SSH sessions):
#   --persistent  dhcpcd.8: "dhcpcd de-configures the interface when it exits unless this
#                 option is enabled ... if, for example, you have root mounted over NFS or SSH
#                 clients connect to this host"
#   --exit        as DHCP_STOP instead of the book's -k: -k releases the lease and
#                 de-configures the interface "regardless of the --persistent option"; --exit
#                 only stops dhcpcd. With the address kept, LFS's ifdown also leaves the link
#                 up (it downs an interface only once no inet address is left on it).
#   --noipv4ll    while no DHCP server answers, keep the kernel's address instead of adding a
#                 169.254/16 one
# The DHCP server sees the same NIC (MAC) as at boot, so it answers with the same address;
# dhcpcd re-adds that address (already there: nothing is removed) and renews it from then on.
install -v -m644 "$F/blfs/etc/sysconfig/ifconfig.dhcpcd" "/etc/sysconfig/ifconfig.$NIC"

# LFS's network boot script does nothing when a default route exists ("the network is
# already configured" - by the kernel, on a netbooted machine), so it would never start
# dhcpcd. ifup on the dhcpcd interface is harmless over the kernel's configuration (the link is
# up already; no GATEWAY is set), so that shortcut goes.
sed -i '/if ip route | grep -q "^default"; then exit 0; fi/d' /etc/rc.d/init.d/network
if grep -q 'grep -q "^default"' /etc/rc.d/init.d/network; then
  echo "/etc/rc.d/init.d/network: its default-route shortcut is not the line this recipe" \
       "removes; dhcpcd would never start" >&2
  exit 1
fi

# DNS: stage 5 links /etc/resolv.conf to the kernel's /proc/net/pnp, which dhcpcd's
# resolv.conf hook cannot write through. dhcpcd writes the file itself from each lease.
if [ -L /etc/resolv.conf ]; then
  rm -v /etc/resolv.conf
fi
