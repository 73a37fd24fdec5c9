# Glibc
#: section: ch-tools-glibc
#: package: glibc
#: patches: glibc-fhs
#: sbu: 1.4
#: run: user
# The C library of the new system, cross-compiled and installed into $LFS.

# the LSB-compliant loader names, pointing at the real dynamic loader
case $(uname -m) in
  i?86)
    ln -sfv ld-linux.so.2 "$LFS/lib/ld-lsb.so.3"
    ;;
  x86_64)
    ln -sfv ../lib/ld-linux-x86-64.so.2 "$LFS/lib64"
    ln -sfv ../lib/ld-linux-x86-64.so.2 "$LFS/lib64/ld-lsb-x86-64.so.3"
    ;;
esac

# FHS: runtime data under /var/lib/nss_db instead of /var/db
patch -Np1 -i "$PATCHES/glibc-fhs.patch"

mkdir -v build
cd build

# ldconfig and sln go to /usr/sbin
echo "rootsbindir=/usr/sbin" > configparms

../configure                             \
      --prefix=/usr                      \
      --host="$LFS_TGT"                  \
      --build="$(../scripts/config.guess)" \
      --enable-kernel=5.4                \
      --with-headers="$LFS/usr/include"  \
      --disable-nscd                     \
      libc_cv_slibdir=/usr/lib

make
make DESTDIR="$LFS" install

# ldd must not look for the loader under /usr
sed '/RTLDLIST=/s@/usr@@g' -i "$LFS/usr/bin/ldd"
