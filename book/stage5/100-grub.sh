# Using GRUB to Set Up the Boot Process
#: section: ch-bootable-grub
#: versions: linux
#: files: config/boot.conf.tmpl config/release.tmpl config/boot/grub/grub.cfg.tmpl
#: run: chroot
# Off by default (lfs.bootloader: none): a netbooted system gets its kernel from the PXE
# server and has no disk to boot from. With lfs.bootloader=grub, the book's disk install:
# grub-install on lfs.system.boot_disk and /boot/grub/grub.cfg for the root partition
# lfs.system.root_device (found by file system UUID, so the disk's BIOS order does not matter).
F="$WORK_DIR/files/config"
# shellcheck source=/dev/null
. "$F/boot.conf"

case $BOOTLOADER in
  none|"")
    echo "lfs.bootloader is none: no boot loader installed (netboot)"
    exit 0
    ;;
  grub) ;;
  *) echo "lfs.bootloader is '$BOOTLOADER': use none (netboot) or grub" >&2; exit 1 ;;
esac

if [ -z "$BOOT_DISK" ]; then
  echo "lfs.bootloader is grub but lfs.system.boot_disk is empty: name the disk whose boot sector GRUB may overwrite (e.g. /dev/sdb). There is no default on purpose." >&2
  exit 1
fi
for dev in "$BOOT_DISK" "$ROOT_DEVICE"; do
  if [ ! -b "$dev" ]; then
    echo "$dev is not a block device here: check lfs.system.boot_disk / root_device" >&2
    exit 1
  fi
done
uuid=$(blkid -s UUID -o value "$ROOT_DEVICE" || true)
if [ -z "$uuid" ]; then
  echo "no file system UUID on $ROOT_DEVICE (lfs.system.root_device): make the LFS file system there first" >&2
  exit 1
fi
kernel="$LINUX_VERSION-lfs-$(cat "$F/release")"
if [ ! -f "/boot/vmlinuz-$kernel" ]; then
  echo "/boot/vmlinuz-$kernel is missing: the kernel step installs it" >&2
  exit 1
fi

grub-install --target=i386-pc "$BOOT_DISK"
install -v -d -m755 /boot/grub
sed -e "s/@KERNEL@/$kernel/g" -e "s/@ROOT_UUID@/$uuid/g" "$F/boot/grub/grub.cfg" > /boot/grub/grub.cfg
cat /boot/grub/grub.cfg
