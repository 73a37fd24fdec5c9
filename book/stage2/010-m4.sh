# M4
#: section: ch-tools-m4
#: package: m4
#: sbu: 0.1
#: run: user
# Cross-compiled into $LFS, like every package of chapter 6.
./configure --prefix=/usr   \
            --host="$LFS_TGT" \
            --build="$(build-aux/config.guess)"
make
make DESTDIR="$LFS" install
