# File
#: section: ch-tools-file
#: package: file
#: sbu: 0.1
#: run: user
# The cross build needs a `file` of the same version on the build machine: make one first.
mkdir build
pushd build
  ../configure --disable-bzlib      \
               --disable-libseccomp \
               --disable-xzlib      \
               --disable-zlib
  make
popd

./configure --prefix=/usr --host="$LFS_TGT" --build="$(./config.guess)"
make FILE_COMPILE="$(pwd)/build/src/file"
make DESTDIR="$LFS" install

# libtool archives are harmful when cross-compiling
rm -v "$LFS/usr/lib/libmagic.la"
