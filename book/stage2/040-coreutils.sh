# Coreutils
#: section: ch-tools-coreutils
#: package: coreutils
#: sbu: 0.3
#: run: user
./configure --prefix=/usr                       \
            --host="$LFS_TGT"                   \
            --build="$(build-aux/config.guess)" \
            --enable-install-program=hostname   \
            --enable-no-install-program=kill,uptime
make
make DESTDIR="$LFS" install

# chroot belongs in sbin, its man page in section 8
mv -v "$LFS/usr/bin/chroot" "$LFS/usr/sbin"
mkdir -pv "$LFS/usr/share/man/man8"
mv -v "$LFS/usr/share/man/man1/chroot.1" "$LFS/usr/share/man/man8/chroot.8"
sed -i 's/"1"/"8"/' "$LFS/usr/share/man/man8/chroot.8"
