# Creating a Limited Directory Layout in the LFS Filesystem
#: section: ch-tools-creatingminlayout
#: sbu: 0.1
#: run: root
# Chapter 4, as root: the skeleton that chapters 5 and 6 install into, then (from "Adding the
# LFS User") hand it to the build user so unprivileged steps can write there.
# ln -sfn instead of the book's ln -s: same links, and a re-run after a failure does not trip
# over links made the first time.
mkdir -pv "$LFS"/{etc,var} "$LFS"/usr/{bin,lib,sbin}

for i in bin lib sbin; do
  ln -sfnv "usr/$i" "$LFS/$i"
done

case $(uname -m) in
  x86_64) mkdir -pv "$LFS/lib64" ;;
esac

# where the cross toolchain lives, apart from everything else
mkdir -pv "$LFS/tools"

chown -v "$LFS_USER" "$LFS"/{usr{,/*},var,etc,tools}
case $(uname -m) in
  x86_64) chown -v "$LFS_USER" "$LFS/lib64" ;;
esac
