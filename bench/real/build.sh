#!/bin/bash
# Start, or resume, a real LFS build from the local mirror, in the background.
#
#   bench/real/build.sh [--dir DIR] [--nice N] [--to STAGE] [any other `invoke build` option]
#
# DIR (default /work/real, or $LFS_REAL_DIR) is what bench/real/mirror.sh made: DIR/lfs.yaml
# points the build at DIR/mirror, DIR/packages-mirror.yaml and the tree DIR/lfs. This runs
# `invoke -f DIR/lfs.yaml build` from the checkout this script lives in, under nohup, and
# returns at once, printing where the log is. The build resumes by itself: finished steps are
# skipped, a failed or interrupted step runs again. Stop it with Ctrl-C's signal:
#   kill -INT "$(cat DIR/build.pid)"      (the step is killed and recorded "interrupted")
# It refuses while a build of the same tree is running (lfsbuild's own lock refuses too).
# --nice N runs it at that nice level (19: it takes only the CPU time nothing else wants, so
# tests and benchmarks beside it keep their speed).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${LFS_REAL_DIR:-/work/real}
nice=0
args=()
while (($#)); do
  case $1 in
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    --nice) nice=${2:?--nice needs a number}; shift 2
            [[ $nice =~ ^[0-9]+$ && $nice -le 19 ]] || {
              echo "error: --nice $nice: give 0 to 19" >&2; exit 1; } ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
dir=$(cd "$dir" && pwd)
cfg=$dir/lfs.yaml
[[ -f $cfg ]] || {
  echo "error: $cfg not found -> run bench/real/mirror.sh $dir first" >&2; exit 1; }

pidfile=$dir/build.pid
if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  pid=$(cat "$pidfile")
  echo "error: a build is already running (pid $pid, log $(readlink -f "$dir/build.log"))" >&2
  echo "  follow it: tail -f $dir/build.log    stop it: kill -INT $pid" >&2
  exit 1
fi
root=$(sed -n 's/^  root: //p' "$cfg")
if [[ -n $root && -e $root/.lfsbuild/lock ]] && ! flock -n "$root/.lfsbuild/lock" true; then
  echo "error: another process holds $root/.lfsbuild/lock (a build not started here?)" >&2
  exit 1
fi

# The book's host tools (chapter 2). lfs.yaml turns the host check off on a host whose /bin/sh
# is dash, so the check does not catch a missing tool here: install them (a fresh machine had
# no makeinfo, and binutils pass 1 stopped at doc/bfd.info).
host_tools=(gcc g++ make bison gawk m4 makeinfo patch xz)
missing=()
for t in "${host_tools[@]}"; do command -v "$t" >/dev/null || missing+=("$t"); done
if ((${#missing[@]})); then
  echo "installing the book's host tools (missing: ${missing[*]})" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    build-essential bison gawk m4 texinfo patch xz-utils >/dev/null
fi

python=${PYTHON:-python3}
command -v "$python" >/dev/null || python=python
(cd "$repo" && "$python" -c 'import invoke, lfsbuild') 2>/dev/null || {
  echo "error: $python cannot import invoke and lfsbuild -> pip install -e $repo (or set PYTHON)" >&2
  exit 1; }

mkdir -p "$dir/logs"
log=$dir/logs/build-$(date +%Y%m%d-%H%M%S).log
ln -sfn "$log" "$dir/build.log"
cd "$repo"
rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
echo "# $(date -Is) nice $nice $python -m invoke -f $cfg build ${args[*]:-}  (cwd $repo, git $rev)" \
  > "$log"
# `kill -INT PID` must be the same clean stop as Ctrl-C. A non-interactive bash starts background
# commands with SIGINT ignored, and Python then never raises KeyboardInterrupt: job control (-m)
# gives the build its own process group and stops that, but a signal ignored when this script
# started (it was itself run in the background by a script) stays ignored through bash and exec,
# so env resets SIGINT to its default for the build.
set -m
PYTHONUNBUFFERED=1 nohup env --default-signal=INT nice -n "$nice" "$python" -m invoke -f "$cfg" \
  build "${args[@]}" >> "$log" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$pidfile"
sleep 2
if ! kill -0 "$pid" 2>/dev/null; then   # done already (nothing to do), or refused at the start
  rc=0; wait "$pid" || rc=$?
  echo "the build exited at once (exit $rc); its log $log:" >&2; tail -20 "$log" >&2
  exit "$rc"
fi
echo "build started: pid $pid, tree $root"
echo "log:    $log  (also $dir/build.log)"
echo "follow: tail -f $dir/build.log"
echo "state:  cd $repo && $python -m invoke -f $cfg status"
echo "stop:   kill -INT $pid   (resume: run this script again)"
