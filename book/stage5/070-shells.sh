# Creating the /etc/shells File
#: section: ch-config-shells
#: files: config/etc/shells
#: run: chroot
install -v -m644 "$WORK_DIR/files/config/etc/shells" /etc/shells
