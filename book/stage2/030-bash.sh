# Bash
#: section: ch-tools-bash
#: package: bash
#: sbu: 0.2
#: run: user
./configure --prefix=/usr                        \
            --build="$(sh support/config.guess)" \
            --host="$LFS_TGT"                    \
            --without-bash-malloc
make
make DESTDIR="$LFS" install

# programs that run sh get bash (ln -f: re-runnable)
ln -sfv bash "$LFS/bin/sh"
