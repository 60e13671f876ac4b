#!/bin/bash
# runtime/ is layered by folder, bottom to top: base < kernel < net < ctr < lab. A file may include
# headers of its own layer and the layers below, never above; each layer is also its own library
# linked only on the ones below (runtime/meson.build), so an upward call fails to link. TAP.
# usage: check_layers.sh RUNTIME_DIR
set -u
dir=$1
order=(base kernel net ctr lab)
declare -A level
for i in "${!order[@]}"; do level[${order[$i]}]=$i; done

n=0
fail=0
for path in "$dir"/*.[ch] "$dir"/*/*.[ch]; do
        [ -e "$path" ] || continue
        rel=${path#"$dir"/}
        own=${rel%%/*}
        n=$((n + 1))
        if [ "$own" = "$rel" ] || [ -z "${level[$own]+x}" ]; then
                echo "not ok $n - runtime/$rel is in no layer folder (${order[*]})"
                fail=1
                continue
        fi
        bad=""
        for inc in $(sed -n 's|^#include "runtime/\([a-z_/0-9]*\)\.h".*|\1|p' "$path"); do
                layer=${inc%%/*}
                if [ "$layer" = "$inc" ] || [ -z "${level[$layer]+x}" ] || [ ! -e "$dir/$inc.h" ]; then
                        bad="$bad $inc (no such layer header)"
                elif [ "${level[$layer]}" -gt "${level[$own]}" ]; then
                        bad="$bad $inc"
                fi
        done
        if [ -n "$bad" ]; then
                echo "not ok $n - runtime/$rel ($own) includes from above:$bad"
                fail=1
        else
                echo "ok $n - runtime/$rel ($own)"
        fi
done
echo "1..$n"
exit $fail
