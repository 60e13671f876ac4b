# Benchmark helpers: timing, medians, the sandbox. Figures only; nothing here asserts.
now_ns() { date +%s%N; }
# median_ms CMD...: run CMD $REPS times, print the median wall time in ms (3 decimals).
median_ms() {
        local i t0 t1 times=()
        for ((i = 0; i < ${REPS:-30}; i++)); do
                t0=$(now_ns); "$@" >/dev/null 2>&1; t1=$(now_ns)
                times+=($(((t1 - t0) / 1000)))
        done
        printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", a[int((NR+1)/2)]/1000}'
}
# paired_ms "CMD A" "CMD B": run A and B alternately $REPS times each, so load that comes and goes
# hits both alike; prints "median_A median_B" in ms.
paired_ms() {
        local i t0 t1 a=() b=()
        for ((i = 0; i < ${REPS:-30}; i++)); do
                t0=$(now_ns); eval "$1" >/dev/null 2>&1; t1=$(now_ns); a+=($(((t1 - t0) / 1000)))
                t0=$(now_ns); eval "$2" >/dev/null 2>&1; t1=$(now_ns); b+=($(((t1 - t0) / 1000)))
        done
        printf '%s %s\n' "$(printf '%s\n' "${a[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.3f", v[int((NR+1)/2)]/1000}')" \
                "$(printf '%s\n' "${b[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.3f", v[int((NR+1)/2)]/1000}')"
}
# paired_ratio "CMD A" "CMD B": as paired_ms, and the ratio A/B of each pair, so a slow moment
# weighs on one ratio rather than on one side; prints "median_A median_B median_ratio p25 p75".
paired_ratio() {
        local i t0 t1 ta tb a=() b=() r=()
        for ((i = 0; i < ${REPS:-30}; i++)); do
                t0=$(now_ns); eval "$1" >/dev/null 2>&1; t1=$(now_ns); ta=$(((t1 - t0) / 1000))
                t0=$(now_ns); eval "$2" >/dev/null 2>&1; t1=$(now_ns); tb=$(((t1 - t0) / 1000))
                a+=($ta); b+=($tb); r+=($(awk -v a=$ta -v b=$tb 'BEGIN {printf "%.4f", (b > 0 ? a / b : 0)}'))
        done
        printf '%s %s %s\n' "$(printf '%s\n' "${a[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.3f", v[int((NR+1)/2)]/1000}')" \
                "$(printf '%s\n' "${b[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.3f", v[int((NR+1)/2)]/1000}')" \
                "$(printf '%s\n' "${r[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.2f %.2f %.2f", v[int((NR+1)/2)], v[int((NR+3)/4)], v[int((3*NR+1)/4)]}')"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
# in_sandbox SCRIPT ARGS: run a bench script in fresh net/mount/pid namespaces with a tmpfs root.
# Containers are removed at the end: their cgroups live in the host's hierarchy and would outlive
# the sandbox's namespaces.
in_sandbox() {
        unshare --net --mount --pid --fork --mount-proc --propagation private bash -c '
mount -t tmpfs bench /run && mkdir -p /run/netlab-bench /run/netns
export NETLAB_ROOT=/run/netlab-bench/root
ip link set lo up
rc=0
bash "$@" || rc=$?
for root in /run/netlab-bench/*/; do
        ids=$(NETLAB_ROOT=$root "$NETLAB" ps -aq 2>/dev/null || true)
        [ -z "$ids" ] || NETLAB_ROOT=$root "$NETLAB" rm -f $ids >/dev/null 2>&1 || true
done
exit $rc' bash "$@"
}
# build_ref REF: build netlab at git REF in a scratch worktree (kept for reuse); prints its build dir.
build_ref() {
        local top dir
        top=$(git -C "$(dirname "$(realpath "${BASH_SOURCE[0]}")")" rev-parse --show-toplevel)
        dir=$top/build-bench/$(git -C "$top" rev-parse --short "$1")
        if [ ! -d "$dir/src" ]; then
                mkdir -p "$dir"
                git -C "$top" worktree add --detach "$dir/src" "$1" >/dev/null 2>&1
        fi
        [ -f "$dir/build/build.ninja" ] || meson setup "$dir/build" "$dir/src" -Dtests=false >/dev/null
        ninja -C "$dir/build" >/dev/null
        echo "$dir/build"
}

# Rootless podman's runtime options for this host: crun refuses a hybrid cgroup layout ("cgroups
# in hybrid mode not supported"); runc with the cgroupfs manager runs there.
podman_opts() {
        if [ -f /sys/fs/cgroup/cgroup.controllers ] || ! command -v runc >/dev/null; then
                echo "--cgroups=disabled"
        else
                echo "--runtime $(command -v runc) --cgroup-manager=cgroupfs"
        fi
}
