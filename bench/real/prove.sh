#!/bin/bash
# The real proofs on a finished real build: netboot the real LFS every way the issues ask.
#
#   bench/real/prove.sh [--dir DIR] [PROOF ...]      (as root, from the checkout)
#
# PROOFs, in this order by default (each one's whole output in DIR/proofs/PROOF.log):
#   queries   `invoke owner` for files the book's later steps rewrite (gcc, stripped later;
#             glibc's libc, /etc/passwd, ssh) and `invoke files` of a step per stage, each timed;
#             then `invoke files` of every done step must answer (issue 17)
#   ssh       RAM root, QEMU's user network: boot to login:, then `boot-test --ssh` logs in with
#             DIR/keys/root_ed25519 (host key checked) and shows uname, the hostname, eth0's
#             address and dhcpcd's log of taking over the kernel's lease (issue 16)
#   lab-http  the lab: router DHCP + `invoke serve --proxy-dhcp`, iPXE over HTTP, RAM root, one
#             node per NIC model (--nic all: the per-NIC table with the server's figures) (issue 14)
#   lab-tftp  the lab: router DHCP + the tree's dnsmasq.conf as proxy + tftpd-hpa serving a
#             `--layout foreman` tree, the two nodes as plain PXE (pxelinux over TFTP), squashfs
#             root with a tmpfs overlay, each node its own hostname (issues 14 and 15)
#   modes     bench/modes.py --rootfs DIR/lfs --nodes DIR/nodes.yaml: squashfs sizes per
#             compressor, the least RAM each mode boots with (ram, squashfs, nfs-ro over
#             nfs-ganesha), each node booted in each mode as itself (issue 15); the longest
# A proof that fails does not stop the next; the script ends with one line per proof and exits
# non-zero if any failed. It needs the build done up to `pxe` (bench/real/build.sh) and no build
# running (the boots are slow in TCG: they want the CPUs). Trees other than DIR/pxe are written
# beside it (DIR/pxe-foreman). Nothing here asserts on time.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${LFS_REAL_DIR:-/work/real}
proofs=()
while (($#)); do
  case $1 in
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    queries|ssh|lab-http|lab-tftp|modes) proofs+=("$1"); shift ;;
    *) echo "error: unknown proof or option $1 -> see $0 --help" >&2; exit 1 ;;
  esac
done
((${#proofs[@]})) || proofs=(queries ssh lab-http lab-tftp modes)
dir=$(cd "$dir" && pwd)
cfg=$dir/lfs.yaml
[[ -f $cfg ]] || { echo "error: $cfg not found -> bench/real/mirror.sh $dir, then build.sh" >&2; exit 1; }
((EUID == 0)) || { echo "error: the lab and the NFS server need root -> sudo $0" >&2; exit 1; }
if [[ -f $dir/build.pid ]] && kill -0 "$(cat "$dir/build.pid")" 2>/dev/null; then
  echo "error: a build is running (pid $(cat "$dir/build.pid")): wait for it (tail -f $dir/build.log)" >&2
  exit 1
fi
python=${PYTHON:-python3}
out=$dir/proofs
mkdir -p "$out"
cd "$repo" || exit 1

inv() { "$python" -m invoke -f "$cfg" "$@"; }

# Run one proof: its commands' output to DIR/proofs/NAME.log (each command above its output).
prove() {
  local name=$1; shift
  local log=$out/$name.log t0=$SECONDS rc=0
  echo "# $(date -Is) $name (git $(git rev-parse --short HEAD 2>/dev/null))" > "$log"
  "$@" >> "$log" 2>&1 || rc=$?
  results+=("$(printf '%-9s %-4s %5ss  %s' "$name" "$( ((rc)) && echo FAIL || echo ok)" \
    $((SECONDS - t0)) "$log")")
  echo "${results[-1]}"
}
step() { echo; echo "\$ $*"; "$@"; }

queries() {
  local p s rc=0 n=0
  for p in /usr/bin/gcc /usr/lib/libc.so.6 /etc/passwd /usr/bin/ssh /usr/sbin/dhcpcd; do
    step timed inv owner "$p" || rc=1
  done
  for s in stage1/glibc stage2/grep stage4/gcc stage5/kernel blfs/openssh; do
    step timed inv files "$s" || rc=1
  done
  echo; echo "\$ invoke files STEP, for every step that is done"
  while read -r s; do
    inv files "$s" > /dev/null 2>&1 || { echo "FAILED: invoke files $s"; rc=1; }
    n=$((n + 1))
  done < <(inv status | awk '$3 == "done" {print $1 "/" $2}')
  echo "$n step(s) answered$( ((rc)) && echo ', some FAILED')"
  return $rc
}
timed() { local t0=$EPOCHREALTIME rc=0; "$@" || rc=$?; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "  (%.2f s)\n", b - a }'; return $rc; }

ssh_proof() {
  step inv pxe || return
  step inv boot-test --ssh --nic virtio --transport http --timeout 1200 --ssh-timeout 180 \
    --ssh-command 'uname -a; cat /etc/hostname; ip -4 addr show dev eth0; ps -o pid,etime,args -C dhcpcd; ls -l /etc/ssh/ssh_host_*_key.pub; grep dhcpcd /var/log/daemon.log | head -40'
}
lab_http() {
  step inv pxe || return
  step inv boot-test --network lab --server lfsbuild --transport http --nic all --timeout 1500
}
lab_tftp() {
  step inv pxe --mode squashfs --layout foreman --out "$dir/pxe-foreman" || return
  step inv boot-test --pxe-dir "$dir/pxe-foreman" --network lab --server tftpd-hpa \
    --transport tftp --nodes 2 --timeout 1500
}
modes_proof() {
  step "$python" bench/modes.py --rootfs "$dir/lfs" --nodes "$dir/nodes.yaml" --step 32 --timeout 600 \
    --json "$out/modes.json"
}

results=()
for p in "${proofs[@]}"; do
  case $p in
    queries) prove queries queries ;;
    ssh) prove ssh ssh_proof ;;
    lab-http) prove lab-http lab_http ;;
    lab-tftp) prove lab-tftp lab_tftp ;;
    modes) prove modes modes_proof ;;
  esac
done
echo
printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -q ' FAIL '
