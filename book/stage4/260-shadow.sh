# Shadow
#: section: ch-system-shadow
#: package: shadow
#: sbu: 0.1
#: run: chroot
# No test suite.

# no groups program or man page (coreutils has a better one); no man pages that man-pages
# already installed
# shellcheck disable=SC2016  # $(EXEEXT) is the Makefile's variable, not the shell's
sed -i 's/groups$(EXEEXT) //' src/Makefile.in
find man -name Makefile.in -exec sed -i 's/groups\.1 / /'   {} \;
find man -name Makefile.in -exec sed -i 's/getspnam\.3 / /' {} \;
find man -name Makefile.in -exec sed -i 's/passwd\.5 / /'   {} \;

# YESCRYPT password hashing, /var/mail for mailboxes, no /bin or /sbin (symlinks) in PATH
sed -e 's:#ENCRYPT_METHOD DES:ENCRYPT_METHOD YESCRYPT:' \
    -e 's:/var/spool/mail:/var/mail:'                   \
    -e '/PATH=/{s@/sbin:@@;s@/bin:@@}'                  \
    -i etc/login.defs

# /usr/bin/passwd must exist, or the install puts it in the wrong place
touch /usr/bin/passwd
./configure --sysconfdir=/etc   \
            --disable-static    \
            --with-{b,yes}crypt \
            --without-libbsd    \
            --with-group-name-max-length=32
make
make exec_prefix=/usr install
make -C man install-man

# Configuring Shadow: shadowed passwords and group passwords
pwconv
grpconv

# useradd defaults: new users' group 999 (users)
mkdir -p /etc/default
useradd -D --gid 999
# Not done: the book's optional `sed -i '/MAIL/s/yes/no/' /etc/default/useradd` (only "if you
# would rather not" create mail spool files).

# Setting the Root Password: the book's `passwd root` asks for a password on the terminal, so
# it is not part of this recipe (a recipe has no terminal); root's password is left to the
# user (or to a later, non-interactive configuration step).
