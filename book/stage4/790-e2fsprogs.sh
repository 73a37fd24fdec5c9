# E2fsprogs
#: section: ch-system-e2fsprogs
#: package: e2fsprogs
#: sbu: 2.4
#: run: chroot
#: tests: optional
mkdir -v build
cd       build

# shared libraries; no libblkid, libuuid, uuidd or fsck wrapper (util-linux has newer ones)
../configure --prefix=/usr           \
             --sysconfdir=/etc       \
             --enable-elf-shlibs     \
             --disable-libblkid      \
             --disable-libuuid       \
             --disable-uuidd         \
             --disable-fsck
make

# m_assume_storage_prezeroed is known to fail; m_rootdir_acl too when $LFS is not ext4
lfs_tests make check

make install

# useless static libraries
rm -fv /usr/lib/{libcom_err,libe2p,libext2fs,libss}.a

# the gzipped info file goes into the system dir file (gunzip -f: a re-run of this step finds
# the unzipped file of the previous run)
gunzip -vf /usr/share/info/libext2fs.info.gz
install-info --dir-file=/usr/share/info/dir /usr/share/info/libext2fs.info

# more documentation (optional in the book)
makeinfo -o      doc/com_err.info ../lib/et/com_err.texinfo
install -v -m644 doc/com_err.info /usr/share/info
install-info --dir-file=/usr/share/info/dir /usr/share/info/com_err.info

# Not done (the book's optional configuration): removing metadata_csum_seed from the default
# ext4 features in /etc/mke2fs.conf, only needed for utilities outside LFS and BLFS.
