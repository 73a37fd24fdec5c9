# LFS-Bootscripts
#: section: ch-config-bootscripts
#: package: lfs-bootscripts
#: sbu: 0.1
#: run: chroot
# The System V boot scripts (/etc/rc.d), their configuration directory /etc/sysconfig with the
# default rc.site, ifup/ifdown and /lib/services.
make install
