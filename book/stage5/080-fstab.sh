# Creating the /etc/fstab File
#: section: ch-bootable-fstab
#: files: config/boot.conf.tmpl config/etc/fstab config/etc/fstab.root.tmpl
#: run: chroot
# The book's virtual file systems, without a root line: the netbooted kernel has already
# mounted the root (initramfs or NFS). With lfs.bootloader=grub (a disk install) the book's
# root line comes back, from lfs.system.root_device and root_fstype. No swap: no disk.
F="$WORK_DIR/files/config"
# shellcheck source=/dev/null
. "$F/boot.conf"

install -v -m644 "$F/etc/fstab" /etc/fstab
case $BOOTLOADER in
  none|"") ;;
  grub) sed -i "/(lfs.bootloader=grub)\.\$/r $F/etc/fstab.root" /etc/fstab ;;
  *) echo "lfs.bootloader is '$BOOTLOADER': use none (netboot) or grub" >&2; exit 1 ;;
esac
cat /etc/fstab
