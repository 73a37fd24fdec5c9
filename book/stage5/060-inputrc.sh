# Creating the /etc/inputrc File
#: section: ch-config-inputrc
#: files: config/etc/inputrc
#: run: chroot
install -v -m644 "$WORK_DIR/files/config/etc/inputrc" /etc/inputrc
