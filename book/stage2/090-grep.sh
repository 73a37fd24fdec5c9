# Grep
#: section: ch-tools-grep
#: package: grep
#: sbu: 0.1
#: run: user
./configure --prefix=/usr     \
            --host="$LFS_TGT" \
            --build="$(./build-aux/config.guess)"
make
make DESTDIR="$LFS" install
