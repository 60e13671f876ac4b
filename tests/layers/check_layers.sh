#!/bin/bash
# runtime/ is layered; a file may include headers of its own layer and the layers below, never
# above. Until each layer is its own folder and library (linked bottom-up, so an upward call
# fails to link), this test is what keeps the order. TAP.
# usage: check_layers.sh RUNTIME_DIR
set -u
dir=$1

# Bottom to top. A new file must be given a layer here, or the test fails.
layers=(
  "base: err fsutil ids strv ctrstate store proc cidr ipam runreq portspec hostname sysctlspec suggest proto grammar"
  "kernel: netlink link addr route sysctl endpoint firewall fwbatch fwbridge fwforeign"
  "net: netrec hostsfile attach network netglue ports dnsctl"
  "ctr: caps image sandbox shim exec container netmode connect inspect cgroup cgroup_bpf cgroup_spec seccomp_cache seccomp_profile secopt logfile ctrpath system sysinfo top"
  "lab: scenario scenario_trust probe labhost diagnose lab/*"
)

declare -A level name
set -f # lab/* names a folder here, not files to glob
for i in "${!layers[@]}"; do
        lname=${layers[$i]%%:*}
        for f in ${layers[$i]#*:}; do
                level[$f]=$i
                name[$f]=$lname
        done
done
set +f

# A whole folder (lab/*) belongs to one layer.
layer_of() {
        local f=$1
        if [ -n "${level[$f]+x}" ]; then
                echo "${level[$f]} ${name[$f]}"
        elif [[ $f == */* ]] && [ -n "${level[${f%%/*}/*]+x}" ]; then
                echo "${level[${f%%/*}/*]} ${name[${f%%/*}/*]}"
        fi
}

n=0
fail=0
for path in "$dir"/*.[ch] "$dir"/*/*.[ch]; do
        rel=${path#"$dir"/}
        f=${rel%.*}
        n=$((n + 1))
        read -r lv ln <<<"$(layer_of "$f")"
        if [ -z "$lv" ]; then
                echo "not ok $n - runtime/$rel has no layer in $0"
                fail=1
                continue
        fi
        bad=""
        for inc in $(sed -n 's|^#include "runtime/\([a-z_/]*\)\.h".*|\1|p' "$path"); do
                read -r il iln <<<"$(layer_of "$inc")"
                if [ -z "$il" ] || [ "$il" -gt "$lv" ]; then
                        bad="$bad $inc (${iln:-no layer})"
                fi
        done
        if [ -n "$bad" ]; then
                echo "not ok $n - runtime/$rel ($ln) includes from above:$bad"
                fail=1
        else
                echo "ok $n - runtime/$rel ($ln)"
        fi
done
echo "1..$n"
exit $fail
