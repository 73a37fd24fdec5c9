# Libstdc++ from GCC
#: section: ch-tools-libstdcpp
#: package: gcc
#: sbu: 0.2
#: run: user
# The C++ standard library for the target, which GCC pass 1 could not build before glibc existed.
mkdir -v build
cd build

# The headers go where the cross g++ looks for them: /tools/<target>/include/c++/<GCC version>
# (the book writes the version out; gcc/BASE-VER is the version GCC itself uses for that path).
../libstdc++-v3/configure           \
    --host="$LFS_TGT"               \
    --build="$(../config.guess)"    \
    --prefix=/usr                   \
    --disable-multilib              \
    --disable-nls                   \
    --disable-libstdcxx-pch         \
    --with-gxx-include-dir="/tools/$LFS_TGT/include/c++/$(cat ../gcc/BASE-VER)"

make
make DESTDIR="$LFS" install

# libtool archives are harmful when cross-compiling
rm -v "$LFS"/usr/lib/lib{stdc++{,exp,fs},supc++}.la
