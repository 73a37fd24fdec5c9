# Linux API Headers
#: section: ch-tools-linux-headers
#: package: linux
#: sbu: 0.1
#: run: user
# The kernel's user-space API headers, which glibc is built against.
make mrproper

make headers
find usr/include -type f ! -name '*.h' -delete
cp -rv usr/include "$LFS/usr"
