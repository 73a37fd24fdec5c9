#!/bin/bash
# Build (or complete) the local source mirror for a real build: bench/real/mirror.sh DIR
# [--git-dir GITDIR]. Everything is in mirror.py beside this file; see README.md there.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "${PYTHON:-python3}" "$here/mirror.py" "$@"
