#!/bin/sh
# /init of an lfsbuild boot initrd, mode $mode (rendered from lfsbuild/netboot/pxe/templates/init-root.sh).
# Every program here comes from the root tree itself (its sh, mount, cp, switch_root, ...):
#   squashfs  loop-mount /root.squashfs (the second initrd) read-only
#   nfs-ro    mount the shared NFS export read-only (nfsroot= on the kernel command line)
#   nfs       mount the NFS export read-write (a kernel whose NFS client is a module)
# then, for squashfs and nfs-ro, a tmpfs over it (overlayfs: /etc, /var, /tmp writable and
# private to this node) holding the node's own files (/lfsbuild/node, from its overlay initrd),
# and hand over to the system's init with switch_root.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mode=$mode
init=$init
fail() {
    echo "lfsbuild /init ($$mode): $$*" >&2
    echo "lfsbuild /init: dropping to a shell (the root is not mounted)" >&2
    exec sh
}
mount -t proc -o nosuid,noexec,nodev proc /proc
mount -t sysfs -o nosuid,noexec,nodev sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
# modules for a kernel that has these drivers as modules (invoke pxe --module), in order
for m in /lfsbuild/modules/*.ko; do
    [ -e "$$m" ] || continue
    insmod "$$m" || fail "cannot load the kernel module $$m"
done
nfsroot=
ipconf=
# `read`, not `cat`: /init may run only builtins and the tools packed for it (modes.tools_for);
# busybox's sh runs any applet without a link, the LFS system's bash does not
read -r cmdline < /proc/cmdline
for arg in $$cmdline; do
    case "$$arg" in
        nfsroot=*) nfsroot="$${arg#nfsroot=}" ;;
        ip=*) ipconf="$${arg#ip=}" ;;
        lfsinit=*) init="$${arg#lfsinit=}" ;;
    esac
done

# A kernel without IP_PNP (no /proc/net/pnp) ignored ip=: apply a static one here.
# ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:<autoconf>
if [ "$$mode" != squashfs ] && [ ! -e /proc/net/pnp ]; then
    case "$$ipconf" in
        *.*.*.*:*)
            old_ifs=$$IFS; IFS=:
            set -- $$ipconf
            IFS=$$old_ifs
            dev=$${6:-eth0}
            command -v ip >/dev/null || fail "ip=$$ipconf must be applied here, but the root has no ip program"
            ip link set lo up
            ip addr add "$$1/$$4" dev "$$dev" || fail "cannot set $$1/$$4 on $$dev"
            ip link set "$$dev" up
            [ -n "$$3" ] && ip route add default via "$$3"
            ;;
        *) fail "the kernel did not configure the network (no IP_PNP) and ip=$$ipconf is not a static address" ;;
    esac
fi

mkdir -p /newroot /ro
case "$$mode" in
    squashfs)
        [ -f /root.squashfs ] || fail "no /root.squashfs: the image initrd was not loaded (check the boot loader's initrd line)"
        mount -t squashfs -o loop,ro /root.squashfs /ro || fail "cannot mount /root.squashfs"
        ;;
    nfs|nfs-ro)
        [ -n "$$nfsroot" ] || fail "no nfsroot= on the kernel command line"
        opts=
        case "$$nfsroot" in *,*) opts="$${nfsroot#*,}"; nfsroot="$${nfsroot%%,*}" ;; esac
        case "$$nfsroot" in
            *:*) server="$${nfsroot%%:*}"; path="$${nfsroot#*:}" ;;
            *) server=; path=$$nfsroot
               # the DHCP server's next-server, as the kernel's own NFS root would use it
               [ -r /proc/net/pnp ] && while read -r key value; do
                   [ "$$key" = bootserver ] && server=$$value
               done < /proc/net/pnp ;;
        esac
        [ -n "$$server" ] || fail "nfsroot=$$nfsroot names no server and the kernel's DHCP gave none"
        rw=ro
        [ "$$mode" = nfs ] && rw=rw
        target=/ro
        [ "$$mode" = nfs ] && target=/newroot
        # no mount.nfs in the system: the kernel parses the options itself and wants addr=
        mount -t nfs -o "$$rw,$${opts:+$$opts,}addr=$$server" "$$server:$$path" "$$target" \
            || fail "cannot mount $$server:$$path over NFS"
        ;;
esac

if [ "$$mode" != nfs ]; then
    mkdir -p /rw
    mount -t tmpfs -o mode=0755 lfsbuild-rw /rw || fail "cannot mount the tmpfs for the overlay"
    mkdir -p /rw/upper /rw/work
    [ -d /lfsbuild/node ] && cp -a /lfsbuild/node/. /rw/upper/
    mount -t overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
        || fail "cannot mount the overlay (is overlayfs in the kernel?)"
fi
for d in dev proc sys; do
    [ -d "/newroot/$$d" ] && mount --move "/$$d" "/newroot/$$d"
done
[ -x "/newroot$$init" ] || [ -L "/newroot$$init" ] || fail "$$init is not in the root"
exec switch_root /newroot "$$init" "$$@"
