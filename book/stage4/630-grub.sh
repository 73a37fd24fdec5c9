# GRUB
#: section: ch-system-grub
#: package: grub
#: sbu: 0.3
#: run: chroot
# BIOS GRUB, as the book builds it (GRUB for UEFI is a BLFS package). Its test suite is not
# recommended by the book (most tests need packages outside LFS): not run.

# a boot loader: no custom compilation flags
unset {C,CPP,CXX,LD}FLAGS

# a file missing from the release tarball
echo depends bli part_gpt > grub-core/extra_deps.lst

# --disable-efiemu: less to build; --disable-werror: warnings from newer Flex
./configure --prefix=/usr          \
            --sysconfdir=/etc      \
            --disable-efiemu       \
            --disable-werror
make
make install

# the bash completion file where its maintainers recommend
mv -v /etc/bash_completion.d/grub /usr/share/bash-completion/completions
