# Creating Directories
#: section: ch-tools-creatingdirs
#: sbu: 0.1
#: run: chroot
# The full directory tree (FHS). The book's sections "Preparing Virtual Kernel File Systems"
# and "Entering the Chroot Environment" have no recipe: lfsbuild mounts /dev, /dev/pts, /proc,
# /sys, /run (and /dev/shm) in a private namespace and chroots for every `run: chroot` step.
mkdir -pv /{boot,home,mnt,opt,srv}

mkdir -pv /etc/{opt,sysconfig}
mkdir -pv /lib/firmware
mkdir -pv /media/{floppy,cdrom}
mkdir -pv /usr/{,local/}{include,src}
mkdir -pv /usr/lib/locale
mkdir -pv /usr/local/{bin,lib,sbin}
mkdir -pv /usr/{,local/}share/{color,dict,doc,info,locale,man}
mkdir -pv /usr/{,local/}share/{misc,terminfo,zoneinfo}
mkdir -pv /usr/{,local/}share/man/man{1..8}
mkdir -pv /var/{cache,local,log,mail,opt,spool}
mkdir -pv /var/lib/{color,misc,locate}

# -n as well: on a re-run the links exist, and without it ln would follow /var/run -> /run and
# put a link inside /run instead of replacing this one
ln -sfnv /run /var/run
ln -sfnv /run/lock /var/lock

# /root: not for everybody; /tmp and /var/tmp: world-writable with the sticky bit
install -dv -m 0750 /root
install -dv -m 1777 /tmp /var/tmp
