# Libcap
#: section: ch-system-libcap
#: package: libcap
#: sbu: 0.1
#: run: chroot
#: tests: optional
# no static libraries
sed -i '/install -m.*STA/d' libcap/Makefile

# lib=lib: /usr/lib, not /usr/lib64, on x86_64
make prefix=/usr lib=lib

lfs_tests make test

make prefix=/usr lib=lib install
