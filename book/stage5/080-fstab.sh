# Creating the /etc/fstab File
#: section: ch-bootable-fstab
#: files: config/boot.conf.tmpl config/etc/fstab config/etc/fstab.root.tmpl
#: run: chroot
# The book's virtual file systems, without a root line: the netbooted kernel has already
# mounted the root (initramfs or NFS). With lfs.bootloader=grub (a disk install) the book's
# root line comes back, from lfs.system.root_device and root_fstype. No swap: no disk.
# A netbooted root has nothing to fsck: the checkfs bootscript would try to remount it
# read-only, fail ("mount point is busy") and power the machine off, so its start link goes
# (found by PXE-booting the real system); a disk install keeps it (the book's S30checkfs).
F="$WORK_DIR/files/config"
# shellcheck source=/dev/null
. "$F/boot.conf"

install -v -m644 "$F/etc/fstab" /etc/fstab
case $BOOTLOADER in
  none|"") rm -fv /etc/rc.d/rcS.d/S[0-9][0-9]checkfs ;;
  grub) sed -i "/(lfs.bootloader=grub)\.\$/r $F/etc/fstab.root" /etc/fstab
        if ! ls /etc/rc.d/rcS.d/S[0-9][0-9]checkfs >/dev/null 2>&1; then
          ln -sv ../init.d/checkfs /etc/rc.d/rcS.d/S30checkfs
        fi ;;
  *) echo "lfs.bootloader is '$BOOTLOADER': use none (netboot) or grub" >&2; exit 1 ;;
esac
cat /etc/fstab
