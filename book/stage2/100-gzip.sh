# Gzip
#: section: ch-tools-gzip
#: package: gzip
#: sbu: 0.1
#: run: user
./configure --prefix=/usr --host="$LFS_TGT"
make
make DESTDIR="$LFS" install
