# Cleaning up and Saving the Temporary System
#: section: ch-tools-cleanup
#: sbu: 0.1
#: run: chroot
# The "Cleaning" part. The "Backup" part happens outside the chroot, and in lfsbuild outside
# any step: `invoke backup` (see book/README.md, Stage 3); "Restore" is `invoke restore`.

# the documentation installed so far, kept out of the final system
rm -rf /usr/share/{info,man,doc}/*

# libtool archives: only useful with libltdl (nothing in LFS), and some break BLFS builds
find /usr/{lib,libexec} -name \*.la -delete

# the cross toolchain of chapters 5 and 6 is no longer needed
rm -rf /tools
