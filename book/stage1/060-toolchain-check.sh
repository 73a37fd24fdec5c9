# Glibc - Toolchain Sanity Check
#: section: ch-tools-glibc
#: sbu: 0.1
#: run: user
# The check the book makes right after installing glibc: the cross compiler must compile and
# link a program that asks for the new system's dynamic loader. The book says to stop here if
# it does not, so this step fails instead of printing something to eyeball.
case $(uname -m) in
  x86_64) want=/lib64/ld-linux-x86-64.so.2 ;;
  i?86)   want=/lib/ld-linux.so.2 ;;
  *)
    echo "toolchain-check: LFS 12.3 covers x86_64 and i686; no expected loader for $(uname -m)" >&2
    exit 1
    ;;
esac

echo 'int main(){}' | "$LFS_TGT-gcc" -xc -
found=$(readelf -l a.out | grep ld-linux || true)
echo "$found"
if [[ $found != *"[Requesting program interpreter: $want]"* ]]; then
  echo "toolchain-check: expected '[Requesting program interpreter: $want]' from readelf -l a.out," >&2
  echo "  got: '${found:-nothing}'. Binutils pass 1, GCC pass 1 or Glibc is broken:" >&2
  echo "  read their logs, fix the cause, and redo those steps before continuing." >&2
  exit 1
fi
rm -v a.out
