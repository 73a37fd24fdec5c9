# Findutils
#: section: ch-tools-findutils
#: package: findutils
#: sbu: 0.2
#: run: user
./configure --prefix=/usr                     \
            --localstatedir=/var/lib/locate   \
            --host="$LFS_TGT"                 \
            --build="$(build-aux/config.guess)"
make
make DESTDIR="$LFS" install
