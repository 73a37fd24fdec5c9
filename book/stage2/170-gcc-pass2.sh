# GCC - Pass 2
#: section: ch-tools-gcc-pass2
#: package: gcc
#: extra: mpfr gmp mpc
#: sbu: 4.1
#: run: user
# The full compiler, cross-compiled to run on the new system. mpfr, gmp and mpc are already
# unpacked as ./mpfr ./gmp ./mpc.
case $(uname -m) in
  x86_64)
    sed -e '/m64=/s/lib64/lib/' \
        -i.orig gcc/config/i386/t-linux64
    ;;
esac

# build libgcc and libstdc++ with POSIX thread support
sed '/thread_header =/s/@.*@/gthr-posix.h/' \
    -i libgcc/Makefile.in libstdc++-v3/include/Makefile.in

mkdir -v build
cd build

../configure                                       \
    --build="$(../config.guess)"                   \
    --host="$LFS_TGT"                              \
    --target="$LFS_TGT"                            \
    LDFLAGS_FOR_TARGET="-L$PWD/$LFS_TGT/libgcc"    \
    --prefix=/usr                                  \
    --with-build-sysroot="$LFS"                    \
    --enable-default-pie                           \
    --enable-default-ssp                           \
    --disable-nls                                  \
    --disable-multilib                             \
    --disable-libatomic                            \
    --disable-libgomp                              \
    --disable-libquadmath                          \
    --disable-libsanitizer                         \
    --disable-libssp                               \
    --disable-libvtv                               \
    --enable-languages=c,c++
make
make DESTDIR="$LFS" install

# cc is what many build systems call (ln -f: re-runnable)
ln -sfv gcc "$LFS/usr/bin/cc"
