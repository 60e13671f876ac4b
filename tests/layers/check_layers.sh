#!/bin/bash
# runtime/ is layered; a file may include headers of its own layer and the layers below, never
# above. Until each layer is its own folder and library (linked bottom-up, so an upward call
# fails to link), this test is what keeps the order. TAP.
# usage: check_layers.sh RUNTIME_DIR
set -u
dir=$1

# Bottom to top. A new file must be given a layer here, or the test fails.
layers=(
  "base: err fsutil ids strv ctrstate store proc cidr ipam runreq portspec hostname sysctlspec suggest"
  "kernel: netlink link addr route sysctl endpoint firewall fwbatch fwbridge fwforeign"
  "net: netrec hostsfile attach network netglue ports dnsctl"
  "ctr: caps image sandbox shim exec container netmode connect inspect cgroup cgroup_bpf cgroup_spec seccomp_cache seccomp_profile secopt logfile ctrpath system"
  "lab: scenario scenario_trust probe labhost diagnose"
)

declare -A level name
for i in "${!layers[@]}"; do
        lname=${layers[$i]%%:*}
        for f in ${layers[$i]#*:}; do
                level[$f]=$i
                name[$f]=$lname
        done
done

n=0
fail=0
for path in "$dir"/*.c "$dir"/*.h; do
        f=$(basename "${path%.*}")
        n=$((n + 1))
        if [ -z "${level[$f]+x}" ]; then
                echo "not ok $n - runtime/$(basename "$path") has no layer in $0"
                fail=1
                continue
        fi
        bad=""
        for inc in $(sed -n 's|^#include "runtime/\([a-z_]*\)\.h".*|\1|p' "$path"); do
                if [ -z "${level[$inc]+x}" ] || [ "${level[$inc]}" -gt "${level[$f]}" ]; then
                        bad="$bad $inc (${name[$inc]:-no layer})"
                fi
        done
        if [ -n "$bad" ]; then
                echo "not ok $n - runtime/$(basename "$path") (${name[$f]}) includes from above:$bad"
                fail=1
        else
                echo "ok $n - runtime/$(basename "$path") (${name[$f]})"
        fi
done
echo "1..$n"
exit $fail
