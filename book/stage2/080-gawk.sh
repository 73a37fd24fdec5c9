# Gawk
#: section: ch-tools-gawk
#: package: gawk
#: sbu: 0.1
#: run: user
# the extras are not needed
sed -i 's/extras//' Makefile.in

./configure --prefix=/usr     \
            --host="$LFS_TGT" \
            --build="$(build-aux/config.guess)"
make
make DESTDIR="$LFS" install
