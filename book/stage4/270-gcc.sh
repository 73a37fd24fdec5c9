# GCC
#: section: ch-system-gcc
#: package: gcc
#: sbu: 46
#: run: chroot
#: tests: critical
# The book calls this test suite important and encourages running it; it is most of the 46 SBU.
# The toolchain sanity checks at the end of the book's section are the next step
# (280-toolchain-check), so that a failing check can be re-run without rebuilding GCC.

# 64-bit libraries in lib, not lib64
case $(uname -m) in
  x86_64)
    sed -e '/m64=/s/lib64/lib/' \
        -i.orig gcc/config/i386/t-linux64
  ;;
esac

mkdir -v build
cd build

# LD=ld: the binutils just built, not the cross-built one
../configure --prefix=/usr            \
             LD=ld                    \
             --enable-languages=c,c++ \
             --enable-default-pie     \
             --enable-default-ssp     \
             --enable-host-pie        \
             --disable-multilib       \
             --disable-bootstrap      \
             --disable-fixincludes    \
             --with-system-zlib
make

# the version GCC uses in its paths (the book writes it out)
gcc_version=$(cat ../gcc/BASE-VER)

if [ -n "$RUN_TESTS" ]; then
  # more stack for complex code (GCC sets the soft limit itself, up to the hard limit)
  ulimit -s -H unlimited || true

  # known test failures
  sed -e '/cpython/d'               -i ../gcc/testsuite/gcc.dg/plugin/plugin.exp
  sed -e 's/no-pic /&-no-pie /'     -i ../gcc/testsuite/gcc.target/i386/pr113689-1.c
  sed -e 's/300000/(1|300000)/'     -i ../libgomp/testsuite/libgomp.c-c++-common/pr109062.c
  sed -e 's/{ target nonpic } //' \
      -e '/GOTPCREL/d'              -i ../gcc/testsuite/gcc.target/i386/fentryname3.c

  # as an unprivileged user, not stopping at errors (MAKEFLAGS carries -j<jobs>)
  chown -R tester .
  lfs_tests su tester -c "PATH=$PATH make -k check"

  # the summary (the book: filter with grep -A7 Summ)
  ../contrib/test_summary > "$TEST_DIR/test_summary.txt" 2>&1 || true
  grep -A7 Summ "$TEST_DIR/test_summary.txt" || true
fi

make install

# the build directory is owned by tester (after the tests), and so are the installed headers
chown -v -R root:root \
    "/usr/lib/gcc/$(gcc -dumpmachine)/$gcc_version"/include{,-fixed}

# FHS: /usr/lib/cpp, for "historical" reasons
ln -sfvr /usr/bin/cpp /usr/lib

# cc (made in chapter 6) gets its man page
ln -sfv gcc.1 /usr/share/man/man1/cc.1

# Link Time Optimization
ln -sfv "../../libexec/gcc/$(gcc -dumpmachine)/$gcc_version/liblto_plugin.so" \
        /usr/lib/bfd-plugins/

# a misplaced file
mkdir -pv /usr/share/gdb/auto-load/usr/lib
mv -v /usr/lib/*gdb.py /usr/share/gdb/auto-load/usr/lib
