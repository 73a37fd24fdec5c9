# OpenSSH
#: section: openssh
#: package: openssh
#: extra: blfs-bootscripts
#: files: blfs/root/.ssh/authorized_keys.tmpl
#: sbu: 0.3
#: run: chroot
# BLFS 12.3, postlfs/security/openssh.xml (sections openssh, openssh-config, openssh-init).
# Dependencies: BLFS lists only optional ones (Linux-PAM, libedit, Kerberos, ...); LFS's own
# OpenSSL and zlib are all it needs, and none of the optional ones is used here.
# Not run: the book's `make -j1 tests` (about 20 minutes, and it needs the network).

# The privilege-separation directory, user and group (run again after a failure: the user
# and group may exist already)
install -v -g sys -m700 -d /var/lib/sshd
getent group sshd >/dev/null || groupadd -g 50 sshd
getent passwd sshd >/dev/null ||
  useradd -c 'sshd PrivSep' \
          -d /var/lib/sshd  \
          -g sshd           \
          -s /bin/false     \
          -u 50 sshd

./configure --prefix=/usr                            \
            --sysconfdir=/etc/ssh                    \
            --with-privsep-path=/var/lib/sshd        \
            --with-default-path=/usr/bin             \
            --with-superuser-path=/usr/sbin:/usr/bin \
            --with-pid-dir=/run
make

# The book runs `make install`, whose last part (the Makefile's host-key target) is
# `ssh-keygen -A`: it would bake this build's host keys into every machine booting the image.
# install-nokeys is the same install without them. Host keys are per node: `invoke pxe`
# generates them outside the image tree and puts them into the initrd.
make install-nokeys
rm -fv /etc/ssh/ssh_host_*key*
install -v -m755    contrib/ssh-copy-id /usr/bin
install -v -m644    contrib/ssh-copy-id.1 \
                    /usr/share/man/man1
install -v -m755 -d "/usr/share/doc/openssh-$PKG_VERSION"
install -v -m644    INSTALL LICENCE OVERVIEW README* \
                    "/usr/share/doc/openssh-$PKG_VERSION"

# Configuring OpenSSH. The book recommends `PermitRootLogin no`; a netbooted node has no other
# account, so root may log in, but with a key only (no password ever crosses the network).
# make install leaves an existing sshd_config alone: drop our line before adding it again.
sed -i '/^PermitRootLogin /d' /etc/ssh/sshd_config
echo "PermitRootLogin prohibit-password" >> /etc/ssh/sshd_config

# root's authorized_keys, from lfs.system.authorized_keys (until per-node identity exists)
keys="$WORK_DIR/files/blfs/root/.ssh/authorized_keys"
install -v -d -m700 /root/.ssh
if grep -q . "$keys"; then
  install -v -m600 "$keys" /root/.ssh/authorized_keys
else
  rm -fv /root/.ssh/authorized_keys
  echo "note: lfs.system.authorized_keys is empty: nobody can log in over SSH" >&2
fi

# Boot Script: /etc/rc.d/init.d/sshd and its rc links, from the BLFS bootscripts
cd blfs-bootscripts
make install-sshd
