# Man-pages
#: section: ch-system-man-pages
#: package: man-pages
#: sbu: 0.1
#: run: chroot
# Libxcrypt installs better versions of the password hashing man pages.
rm -v man3/crypt*

# -R: no make built-in variables (they break this build system); GIT=false: no "git: command
# not found" warnings
make -R GIT=false prefix=/usr install
