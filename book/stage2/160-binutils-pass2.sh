# Binutils - Pass 2
#: section: ch-tools-binutils-pass2
#: package: binutils
#: sbu: 0.4
#: run: user
# Binutils' bundled libtool would link against the host's libraries: drop the path it adds.
# (The line number is the book's, for this release of binutils.)
# shellcheck disable=SC2016  # a literal $add_dir, as sed must see it
sed '6031s/$add_dir//' -i ltmain.sh

mkdir -v build
cd build

../configure                     \
    --prefix=/usr                \
    --build="$(../config.guess)" \
    --host="$LFS_TGT"            \
    --disable-nls                \
    --enable-shared              \
    --enable-gprofng=no          \
    --disable-werror             \
    --enable-64-bit-bfd          \
    --enable-new-dtags           \
    --enable-default-hash-style=gnu
make
make DESTDIR="$LFS" install

# static libraries and libtool archives that would only get in the way
rm -v "$LFS"/usr/lib/lib{bfd,ctf,ctf-nobfd,opcodes,sframe}.{a,la}
