#!/usr/bin/env bash
# Provision the lfsbuild build VM (../Vagrantfile): a Debian 12 host as the LFS book wants it.
#
#   1. the host requirements of host-requirements.yaml, read from that file at provisioning
#      time (so a new release's list needs no edit here), and the links the book asks for
#      (/bin/sh -> bash, yacc -> bison, awk -> gawk) through the file's own `debian_then` fixes;
#   2. the second virtual disk as ext4 at /mnt/lfs ($LFS), in fstab; never formatted twice and
#      never formatted at all if it holds anything but our file system;
#   3. the project, editable, in a venv at /opt/lfsbuild/venv, with the `report` extra;
#   4. an invoke runtime config (/etc/lfsbuild/vm.yaml, lfs.root and lfs.sources) that every
#      login shell gets through INVOKE_RUNTIME_CONFIG: the project's invoke.yaml outranks
#      ~/.invoke.yaml and /etc/invoke.yaml in invoke's hierarchy, a runtime config does not;
#   5. `invoke check-host`, so `vagrant up` fails here and not hours into chapter 5.
#
# Runs as root, again on every `vagrant provision`: each step is idempotent.
# `provision.sh --packages FILE` / `--fixes FILE` only print what FILE asks of a Debian host
# (what the tests compare with lfsbuild's own reading of the file).
set -euo pipefail

REPO=${LFSBUILD_REPO:-/vagrant}
SOURCES=${LFSBUILD_SOURCES:-/srv/lfsbuild/sources}
DISK_GB=${LFSBUILD_DISK_GB:-40}
LFS_DIR=/mnt/lfs
LABEL=lfs
VENV=/opt/lfsbuild/venv
CONFIG=/etc/lfsbuild/vm.yaml
PROFILE=/etc/profile.d/lfsbuild.sh

# The Debian side of host-requirements.yaml: `packages` prints every package named in a
# `debian` field (tools, links, compile, kernel), `fixes` every `debian_then` command.
requirements() {
  python3 - "$1" "$2" <<'PY'
import sys
import yaml

what, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    reqs = yaml.safe_load(f)
entries = [*reqs["tools"], *reqs["links"], reqs["compile"], reqs["kernel"]]
key = "debian" if what == "packages" else "debian_then"
seen = []
for entry in entries:
    for item in (str(entry[key]).split() if what == "packages" else [entry.get(key)]):
        if item and item not in seen:
            seen.append(item)
print("\n".join(seen))
PY
}

case ${1:-} in
  --packages | --fixes)
    requirements "${1#--}" "${2:?usage: provision.sh --packages|--fixes host-requirements.yaml}"
    exit 0 ;;
esac

log() { printf '==> lfsbuild: %s\n' "$*"; }

install_host_requirements() {
  export DEBIAN_FRONTEND=noninteractive
  log "installing what provisioning itself needs"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3 python3-yaml python3-venv \
    e2fsprogs util-linux ca-certificates >/dev/null
  local reqs=$REPO/host-requirements.yaml packages fix
  mapfile -t packages < <(requirements packages "$reqs")
  log "installing the book's host requirements: ${packages[*]}"
  apt-get install -y -qq "${packages[@]}" >/dev/null
  while IFS= read -r fix; do
    [[ -n $fix ]] || continue
    log "running: $fix"
    (cd / && bash -c "$fix")
  done < <(requirements fixes "$reqs")
}

# The whole disk of exactly DISK_GB GiB with no partitions: the one the Vagrantfile attached.
lfs_disk() {
  local want=$((DISK_GB * 1024 * 1024 * 1024)) name size type
  while read -r name size type; do
    [[ $type == disk && $size == "$want" ]] || continue
    [[ $(lsblk -nro NAME "$name" | wc -l) == 1 ]] || continue   # partitioned: not ours
    echo "$name"
    return 0
  done < <(lsblk -bdnpo NAME,SIZE,TYPE)
  return 1
}

mount_lfs_disk() {
  local dev fstype uuid
  if mountpoint -q "$LFS_DIR"; then
    log "$LFS_DIR is already mounted"
    return
  fi
  if ! dev=$(lfs_disk); then
    echo "error: no unpartitioned ${DISK_GB} GiB disk for \$LFS; is the second disk attached?" >&2
    lsblk >&2
    exit 1
  fi
  fstype=$(blkid -o value -s TYPE "$dev" || true)
  if [[ -z $fstype ]]; then
    log "formatting $dev (${DISK_GB} GiB) as ext4 for \$LFS"
    mkfs.ext4 -q -L "$LABEL" "$dev"
  elif [[ $fstype != ext4 || $(blkid -o value -s LABEL "$dev") != "$LABEL" ]]; then
    echo "error: $dev holds a $fstype file system not labelled $LABEL; refusing to format it" >&2
    exit 1
  fi
  uuid=$(blkid -o value -s UUID "$dev")
  mkdir -p "$LFS_DIR"
  if ! grep -q "UUID=$uuid" /etc/fstab; then
    echo "UUID=$uuid $LFS_DIR ext4 defaults 0 2" >>/etc/fstab
  fi
  mount "$LFS_DIR"
  chmod 755 "$LFS_DIR"            # the build user must reach $LFS (book chapter 4)
  log "\$LFS is $dev at $LFS_DIR"
}

install_project() {
  log "installing lfsbuild from $REPO into $VENV"
  [[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "${REPO}[report]"
}

write_config() {
  mkdir -p "$(dirname "$CONFIG")" "$SOURCES"
  cat >"$CONFIG" <<EOF
# Written by vagrant/provision.sh; rewritten on every \`vagrant provision\`.
# Runtime config (INVOKE_RUNTIME_CONFIG, set in $PROFILE): outranks the project's invoke.yaml.
lfs:
  root: $LFS_DIR               # the second disk
  sources: $SOURCES   # shared with the host: survives \`vagrant destroy\`
EOF
  cat >"$PROFILE" <<EOF
# lfsbuild VM (vagrant/provision.sh): the venv's invoke, and the VM's lfs settings
export INVOKE_RUNTIME_CONFIG=$CONFIG
case ":\$PATH:" in *":$VENV/bin:"*) ;; *) PATH="$VENV/bin:\$PATH" ;; esac
EOF
  log "wrote $CONFIG and $PROFILE"
}

check_host() {
  log "invoke check-host"
  (cd "$REPO" && INVOKE_RUNTIME_CONFIG=$CONFIG "$VENV/bin/invoke" check-host)
  log "ready: vagrant ssh, sudo -i, cd $REPO, invoke fetch stage1"
}

install_host_requirements
mount_lfs_disk
install_project
write_config
check_host
