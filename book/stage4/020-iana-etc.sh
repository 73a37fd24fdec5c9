# Iana-Etc
#: section: ch-system-iana-etc
#: package: iana-etc
#: sbu: 0.1
#: run: chroot
cp services protocols /etc
