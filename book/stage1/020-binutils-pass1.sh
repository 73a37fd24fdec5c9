# Binutils - Pass 1
#: section: ch-tools-binutils-pass1
#: package: binutils
#: sbu: 1
#: run: user
# The cross linker and assembler, installed in $LFS/tools. Binutils wants a separate build dir.
mkdir -v build
cd build

../configure --prefix="$LFS/tools" \
             --with-sysroot="$LFS" \
             --target="$LFS_TGT"   \
             --disable-nls         \
             --enable-gprofng=no   \
             --disable-werror      \
             --enable-new-dtags    \
             --enable-default-hash-style=gnu

make
make install
