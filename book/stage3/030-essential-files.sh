# Creating Essential Files and Symlinks
#: section: ch-tools-createfiles
#: files: etc/passwd etc/group etc/hosts
#: sbu: 0.1
#: run: chroot
# The book's heredocs are data files in chroot/etc/ (the System V variants), placed by the
# runner in $WORK_DIR/files. The book's /etc/hosts here also names `$(hostname)`, the BUILD
# host's name; ours names only localhost, so that changing lfs.system.hostname re-runs chapter 9
# (which writes the real /etc/hosts) and not every step from here on.

# utilities that expect the list of mounted file systems in /etc/mtab
ln -sfv /proc/self/mounts /etc/mtab

# a basic /etc/hosts for some test suites and Perl's configuration (chapter 9 writes the real one)
install -v -m 644 "$WORK_DIR/files/etc/hosts" /etc/hosts

# root and the system users and groups; the root password is set later (Shadow, chapter 8)
install -v -m 644 "$WORK_DIR/files/etc/passwd" /etc/passwd
install -v -m 644 "$WORK_DIR/files/etc/group" /etc/group

# a regular user for chapter 8's test suites (removed at the end of chapter 8, by
# stage4/830-cleanup.sh); the files were just written afresh, so a re-run adds it once
echo "tester:x:101:101::/home/tester:/bin/bash" >> /etc/passwd
echo "tester:x:101:" >> /etc/group
install -o tester -d /home/tester

# The book's `exec /usr/bin/bash --login` (a new shell, to lose the "I have no name!" prompt)
# means nothing here: every step is a fresh shell, started after this one has ended.

# login, agetty and init write to these log files only if they exist
touch /var/log/{btmp,lastlog,faillog,wtmp}
chgrp -v utmp /var/log/lastlog
chmod -v 664  /var/log/lastlog
chmod -v 600  /var/log/btmp
# /run/utmp is created by the boot scripts (System V)
