# Stripping
#: section: ch-system-stripping
#: run: chroot
# Optional in the book: removes the debugging symbols and unneeded symbol table entries
# (about 2 GB). The book advises a backup of the system before this step.
#
# strip overwrites the file it works on, which can crash a process using it (strip itself,
# bash, the loader...): those files are copied to /tmp, stripped there and put back with
# install. A few libraries keep their debugging information, compressed, in a .dbg file
# beside them (for valgrind or gdb in BLFS).
#
# The book lists those libraries by their real file names, with versions, and warns that a
# package of another version makes the list wrong and the system unusable. Here every name is
# read from the installed system instead: the file a stable link (soname, libbfd.so) points to.
real() { basename "$(readlink -f "/usr/lib/$1")"; }

# the ELF loader (ld-linux-x86-64.so.2 or ld-linux.so.2; nothing ending in g, i.e. no .dbg
# file from an earlier run)
save_usrlib="$(cd /usr/lib; ls ld-linux*[^g])
             libc.so.6
             libthread_db.so.1
             $(real libquadmath.so.0)
             $(real libstdc++.so.6)
             $(real libitm.so.1)
             $(real libatomic.so.1)"

cd /usr/lib

for LIB in $save_usrlib; do
    objcopy --only-keep-debug --compress-debug-sections=zlib "$LIB" "$LIB.dbg"
    cp "$LIB" "/tmp/$LIB"
    strip --strip-unneeded "/tmp/$LIB"
    objcopy --add-gnu-debuglink="$LIB.dbg" "/tmp/$LIB"
    install -vm755 "/tmp/$LIB" /usr/lib
    rm "/tmp/$LIB"
done

online_usrbin="bash find strip"
online_usrlib="$(real libbfd.so)
               $(real libsframe.so.1)
               $(real libhistory.so.8)
               $(real libncursesw.so.6)
               libm.so.6
               $(real libreadline.so.8)
               $(real libz.so.1)
               $(real libzstd.so.1)
               $(cd /usr/lib; find libnss*.so* -type f)"

for BIN in $online_usrbin; do
    cp "/usr/bin/$BIN" "/tmp/$BIN"
    strip --strip-unneeded "/tmp/$BIN"
    install -vm755 "/tmp/$BIN" /usr/bin
    rm "/tmp/$BIN"
done

for LIB in $online_usrlib; do
    cp "/usr/lib/$LIB" "/tmp/$LIB"
    strip --strip-unneeded "/tmp/$LIB"
    install -vm755 "/tmp/$LIB" /usr/lib
    rm "/tmp/$LIB"
done

# Everything else in place. strip fails on the many scripts ("file format not recognized"),
# which the book says to ignore: || true, or bash -e would stop at the first one.
# shellcheck disable=SC2044  # the book's loop; no file names with spaces in /usr here
for i in $(find /usr/lib -type f -name '*.so*' ! -name '*dbg') \
         $(find /usr/lib -type f -name '*.a')                   \
         $(find /usr/{bin,sbin,libexec} -type f); do
    case "$online_usrbin $online_usrlib $save_usrlib" in
        *"$(basename "$i")"* )
            ;;
        * ) strip --strip-unneeded "$i" || true
            ;;
    esac
done

unset BIN LIB save_usrlib online_usrbin online_usrlib
