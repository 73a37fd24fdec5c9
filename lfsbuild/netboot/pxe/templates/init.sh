#!/bin/sh
# /init of an lfsbuild RAM-root initrd (rendered from lfsbuild/pxe/templates/init.sh).
# The kernel runs this from the unpacked initramfs. The whole system is already here, so
# all we do is mount the virtual file systems the system's init expects, then hand over.
# Override the init program on the kernel command line with lfsinit=/path/to/init.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc -o nosuid,noexec,nodev proc /proc
mount -t sysfs -o nosuid,noexec,nodev sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
init=${init}
for arg in $$(cat /proc/cmdline); do
    case "$$arg" in
        lfsinit=*) init="$${arg#lfsinit=}" ;;
    esac
done
if [ ! -x "$$init" ]; then
    echo "lfsbuild /init: $$init is not an executable in this initrd; dropping to /bin/sh" >&2
    exec /bin/sh
fi
exec "$$init" "$$@"
