# GCC - Pass 1
#: section: ch-tools-gcc-pass1
#: package: gcc
#: extra: mpfr gmp mpc
#: versions: glibc
#: sbu: 3.2
#: run: user
# The cross compiler. mpfr, gmp and mpc are already unpacked as ./mpfr ./gmp ./mpc, so GCC
# builds them along with itself.

# on x86_64, put 64-bit libraries in lib rather than lib64
case $(uname -m) in
  x86_64)
    sed -e '/m64=/s/lib64/lib/' \
        -i.orig gcc/config/i386/t-linux64
    ;;
esac

mkdir -v build
cd build

../configure                    \
    --target="$LFS_TGT"         \
    --prefix="$LFS/tools"       \
    --with-glibc-version="$GLIBC_VERSION" \
    --with-sysroot="$LFS"       \
    --with-newlib               \
    --without-headers           \
    --enable-default-pie        \
    --enable-default-ssp        \
    --disable-nls               \
    --disable-shared            \
    --disable-multilib          \
    --disable-threads           \
    --disable-libatomic         \
    --disable-libgomp           \
    --disable-libquadmath       \
    --disable-libssp            \
    --disable-libvtv            \
    --disable-libstdcxx         \
    --enable-languages=c,c++

make
make install

# The limits.h installed above was made without the target's own limits.h (there is none
# yet); build the full header the way GCC's build would have, next to libgcc's includes.
cd ..
libgcc=$("$LFS_TGT-gcc" -print-libgcc-file-name)
cat gcc/limitx.h gcc/glimits.h gcc/limity.h > "$(dirname "$libgcc")/include/limits.h"
