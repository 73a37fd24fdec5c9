#!/bin/bash
# Configure a Linux source tree as lfsbuild does: `make defconfig`, merge the fragments in the
# order given (later ones win) with the kernel's own merge_config.sh, `make olddefconfig`, then
# FAIL unless every option of the fragments is in the final .config.
#
# Why the last step: Kconfig drops an option whose dependencies are not met without a word
# (merge_config.sh -m only merges), and a netboot kernel that lost its NIC driver or ROOT_NFS
# builds fine and only fails on the wire. One script serves the kernel recipe
# (book/stage5/090-kernel.sh) and the CI test (tests/test_kernel_config.py), so the check that
# CI runs is the check the build runs.
#
# Usage (from the top of the kernel source tree):
#   bash configure.sh [-O BUILD_DIR] FRAGMENT...
#   bash configure.sh --check-only CONFIG FRAGMENT...   # only the survival check
set -e

usage() {
    echo "usage: $0 [-O BUILD_DIR] FRAGMENT... | $0 --check-only CONFIG FRAGMENT..." >&2
    exit 2
}

# check_fragments CONFIG FRAGMENT...: every request of the fragments (the last one per symbol)
# must be in CONFIG. "CONFIG_X=y" / "CONFIG_X=\"s\"" must appear verbatim; "# CONFIG_X is not
# set" (or CONFIG_X=n) holds when CONFIG_X has no value there at all.
check_fragments() {
    local config=$1 frag line sym val got bad=0
    shift
    declare -A want=() from=()
    local -a order=()
    for frag in "$@"; do
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line%$'\r'}
            line=${line%"${line##*[![:space:]]}"}
            case $line in
                CONFIG_*=*)
                    sym=${line%%=*}; val=$line ;;
                "# CONFIG_"*" is not set")
                    sym=${line#\# }; sym=${sym%% *}; val="# $sym is not set" ;;
                *) continue ;;
            esac
            [ "$val" = "$sym=n" ] && val="# $sym is not set"
            [ -n "${want[$sym]+set}" ] || order+=("$sym")
            want[$sym]=$val
            from[$sym]=${frag##*/}
        done < "$frag"
    done
    for sym in "${order[@]}"; do
        val=${want[$sym]}
        got=$(grep -E "^($sym=|# $sym is not set)" "$config" || true)
        if [ "$val" = "# $sym is not set" ]; then
            case $got in "$sym="*) ;; *) continue ;; esac
        elif [ "$got" = "$val" ]; then
            continue
        fi
        [ "$bad" -gt 0 ] || echo "kernel config: options from the fragments that did not survive 'make olddefconfig' (.config: $config):" >&2
        echo "  $sym: wanted '$val', got '${got:-nothing (unmet dependency, or no such symbol in this kernel)}'  [${from[$sym]}]" >&2
        bad=$((bad + 1))
    done
    if [ "$bad" -gt 0 ]; then
        echo "-> $bad option(s) lost. Kconfig drops an option whose 'depends on' is not met: find the symbol with 'make menuconfig' (press /), add what it depends on to the fragment, or remove the line if this kernel has no such option." >&2
        return 1
    fi
    echo "kernel config: all ${#order[@]} options of $# fragment(s) are in $config"
}

if [ "$1" = "--check-only" ]; then
    shift
    [ $# -ge 2 ] || usage
    check_fragments "$@"
    exit
fi

out=.
if [ "$1" = "-O" ]; then
    [ -n "$2" ] || usage
    out=$2
    shift 2
fi
[ $# -ge 1 ] || usage
if [ ! -f Makefile ] || [ ! -f scripts/kconfig/merge_config.sh ]; then
    echo "$0: run me from the top of a Linux source tree (no Makefile or scripts/kconfig/merge_config.sh in $PWD)" >&2
    exit 2
fi
for frag in "$@"; do
    [ -r "$frag" ] || { echo "$0: kernel config fragment $frag does not exist" >&2; exit 2; }
done

mkdir -p "$out"
make_out=()
[ "$out" = . ] || make_out=("O=$out")
make "${make_out[@]}" defconfig
sh scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$@"
make "${make_out[@]}" olddefconfig
check_fragments "$out/.config" "$@"
