# LFS-Bootscripts
#: section: ch-config-bootscripts
#: package: lfs-bootscripts
#: sbu: 0.1
#: run: chroot
# The System V boot scripts (/etc/rc.d), their configuration directory /etc/sysconfig with the
# default rc.site, ifup/ifdown and /lib/services.
make install

# Not in the book: the network script ends early with `return 0` when a default route exists
# (here: always, the kernel's ip=dhcp configured the NIC), but it is run, not sourced, so bash
# fails it ("can only return from a function"). exit is what it means.
sed -i 's/then return 0; fi/then exit 0; fi/' /etc/rc.d/init.d/network
