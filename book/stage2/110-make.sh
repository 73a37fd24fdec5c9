# Make
#: section: ch-tools-make
#: package: make
#: sbu: 0.1
#: run: user
./configure --prefix=/usr     \
            --without-guile   \
            --host="$LFS_TGT" \
            --build="$(build-aux/config.guess)"
make
make DESTDIR="$LFS" install
