# GCC - Toolchain Sanity Checks
#: section: ch-system-gcc
#: sbu: 0.1
#: run: chroot
# The checks the book makes after installing GCC ("If the output does not appear as shown
# above ... something is seriously wrong ... resolved before continuing"): the step fails
# when one of them does not give the book's output, instead of printing it to be eyeballed.
# The outputs that the book only shows (header and linker search paths) are printed.
case $(uname -m) in
  x86_64) loader="ld-linux-x86-64.so.2"; interp="/lib64/$loader" ;;
  i?86)   loader="ld-linux.so.2";        interp="/lib/$loader" ;;
  *)
    echo "toolchain-check: LFS 12.3 covers x86_64 and i686; no expected loader for $(uname -m)" >&2
    exit 1
    ;;
esac

fail() {
  echo "toolchain-check: $1" >&2
  echo "  the final toolchain (binutils, GCC, glibc of this chapter) is broken: read their" >&2
  echo "  logs, fix the cause, and redo those steps before continuing." >&2
  exit 1
}

echo 'int main(){}' > dummy.c
cc dummy.c -v -Wl,--verbose &> dummy.log

# the program interpreter
found=$(readelf -l a.out | grep ': /lib' || true)
echo "$found"
[[ $found == *"[Requesting program interpreter: $interp]"* ]] ||
  fail "expected '[Requesting program interpreter: $interp]', got '${found:-nothing}'"

# the start files, all three from /usr/lib
crt=$(grep -E -o '/usr/lib.*/S?crt[1in].*succeeded' dummy.log || true)
echo "$crt"
for f in Scrt1.o crti.o crtn.o; do
  grep -q "/lib/$f succeeded" <<< "$crt" || fail "the start file $f was not found under /usr/lib"
done

# the header search path (for reading)
grep -B4 '^ /usr/include' dummy.log || fail "/usr/include is not in the header search path"

# the linker's search paths (for reading; components with -linux-gnu are to be ignored)
grep 'SEARCH.*/usr/lib' dummy.log | sed 's|; |\n|g'

# the C library
libc=$(grep "/lib.*/libc.so.6 " dummy.log || true)
echo "$libc"
grep -q "attempt to open /usr/lib/libc.so.6 succeeded" <<< "$libc" ||
  fail "the linker did not use /usr/lib/libc.so.6"

# the dynamic linker
ld=$(grep found dummy.log || true)
echo "$ld"
grep -q "found $loader at /usr/lib/$loader" <<< "$ld" ||
  fail "expected 'found $loader at /usr/lib/$loader'"

rm -v dummy.c a.out dummy.log
