# Changing Ownership
#: section: ch-tools-changingowner
#: sbu: 0.1
#: run: root
# On the host, as root (the book does this before entering the chroot): everything chapters
# 4-6 made belongs to the build user, a uid that means nothing inside the new system. Hand it to
# root. --from limits the change to what the build user owns, so it is harmless on a re-run
# and can never touch files of anyone else.
# $LFS/sources is not in the book's list and is not changed here either: it holds lfsbuild's
# work directories (the runner owns and removes them).
: "${LFS:?}" "${LFS_USER:?}"
[ "$LFS" != / ] || { echo "LFS is /: refusing to chown the host" >&2; exit 1; }

chown -v --from "$LFS_USER" -R root:root "$LFS"/{usr,lib,var,etc,bin,sbin,tools}
case $(uname -m) in
  x86_64) chown -v --from "$LFS_USER" -R root:root "$LFS/lib64" ;;
esac
