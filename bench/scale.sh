#!/usr/bin/env bash
# Scale: 1000 containers started detached on one network, in batches of 100 (BATCH). Prints the
# time of each batch against the first (issue 11: the 10th at most 1.2x the 1st), the CPU of a
# start beside no container and beside COUNT-N (perf stat, N starts; issue 11: at most 1.2x) and
# the host memory each idle container costs (issue 11: at most 0.6 MiB in all). MemAvailable is
# host-wide, so other work on the host moves it: the drop while starting and the gain while
# removing are both printed, and their mean is the figure. With BASE_REF=<git ref>, the same run
# first on netlab built from that ref (before/after; one after the other, each in its own sandbox).
# What grows is set beside the same kernel work done through iproute2, measured in the same run.
# Usage: [BASE_REF=REF] bench/scale.sh [path/to/netlab] [COUNT]   (root; runs in its own sandbox)
set -euo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
if [ -z "${NETLAB_BENCH_INSIDE:-}" ]; then
        export COUNT=${2:-1000} NETLAB_BENCH_INSIDE=1 NETLAB
        if [ -n "${BASE_REF:-}" ]; then
                NETLAB=$(build_ref "$BASE_REF")/netlab/netlab
                echo "== before: netlab built from $BASE_REF"
                in_sandbox "$(realpath "$0")"
                echo "== after: this build"
        fi
        NETLAB=$(realpath "${1:-build/netlab/netlab}")
        in_sandbox "$(realpath "$0")"
        exit
fi
nl() { "$NETLAB" "$@"; }
nl network create --subnet 10.96.0.0/16 scalenet >/dev/null
nl run --rm --net scalenet busybox true
avail() { # median of 5 samples over half a second
        for _ in 1 2 3 4 5; do awk '/MemAvailable/{print $2}' /proc/meminfo; sleep 0.1; done |
                sort -n | awk '{a[NR]=$1} END {print a[3]}'
}
# CPU of N starts (perf stat: the run and all it forks, kernel included), then removed again.
cpu_n=${CPU_N:-40}
cpu_per_start() {
        command -v perf >/dev/null || { echo "-"; return; }
        perf stat -x, -e task-clock -o /run/netlab-bench/cpu.stat -- bash -c \
                "for ((i = 0; i < $cpu_n; i++)); do \"\$NETLAB\" run -d --net scalenet busybox sleep 1d; done" \
                >/run/netlab-bench/cpu.ids
        nl rm -f $(cat /run/netlab-bench/cpu.ids) >/dev/null
        awk -F, -v n="$cpu_n" '/task-clock/ {printf "%.2f", $1 / n}' /run/netlab-bench/cpu.stat
}
# The same kernel work without netlab, as a baseline for what grows: a network namespace, a veth
# pair on the network's bridge with its other end inside, and a fresh sysfs mounted there (what
# `ip netns exec` does), through iproute2. Kept until measured, then removed.
br=$(nl network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' scalenet)
raw_cpu_per_start() {
        command -v perf >/dev/null || { echo "-"; return; }
        perf stat -x, -e task-clock -o /run/netlab-bench/raw.stat -- bash -c \
                "for ((i = 0; i < $cpu_n; i++)); do ip netns add nlraw\$i &&
                 ip link add nlrh\$i type veth peer name eth0 netns nlraw\$i &&
                 ip link set nlrh\$i master $br up && ip netns exec nlraw\$i ip link set eth0 up; done"
        for ((i = 0; i < cpu_n; i++)); do ip netns del nlraw$i; done
        awk -F, -v n="$cpu_n" '/task-clock/ {printf "%.2f", $1 / n}' /run/netlab-bench/raw.stat
}
cpu_none=$(cpu_per_start)
raw_none=$(raw_cpu_per_start)
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
before=$(avail)
fields="AnonPages Shmem SUnreclaim SReclaimable KernelStack PageTables Percpu"
meminfo() { for f in $fields; do awk -v f="$f:" '$1 == f {print $2}' /proc/meminfo; done; }
parts_before=($(meminfo))
batch=${BATCH:-100}; first=0
# The kernel's own cost of a network namespace also grows with how many exist: measure it beside.
raw_ns() { unshare --net --pid --fork true; }
# Each start is timed: the median start of a batch shrugs off other work on a shared host.
printf '%-8s %10s %14s %9s %22s %9s\n' "batch" "seconds" "median run ms" "vs first" "raw netns ms (median)" "vs first"
for ((b = 0; b < COUNT / batch; b++)); do
        t0=$(now_ns); starts=()
        for ((i = 0; i < batch; i++)); do
                s0=$(now_ns); nl run -d --net scalenet busybox sleep 1d >/dev/null
                starts+=($(( ($(now_ns) - s0) / 1000 )))
        done
        t=$(( ($(now_ns) - t0) / 1000000 ))
        med=$(printf '%s\n' "${starts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1000}')
        raw=$(REPS=10 median_ms raw_ns)
        [ $b -eq 0 ] && first=$med && raw_first=$raw
        printf '%-8s %10.3f %14s %9s %22s %9s\n' "$((b + 1))" "$(awk -v t=$t 'BEGIN{print t/1000}')" "$med" "$(ratio "$med" "$first")" "$raw" "$(ratio "$raw" "$raw_first")"
done
sleep 2
after=$(avail)
parts_after=($(meminfo))
n=$(nl ps -q | wc -l)
# What the containers' own processes use (busybox sleep), to subtract.
own=$(for p in $(pgrep -x sleep); do awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup; done | awk '{s+=$1} END {print s+0}')
shim=$(for p in $(pgrep -x netlab-shim); do awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup; done | awk '{s+=$1} END {print s+0}')
printf 'containers running: %d\n' "$n"
printf 'host memory per container, total (MemAvailable drop): %.1f KiB\n' "$(awk -v a=$before -v b=$after -v n=$n 'BEGIN{print (a-b)/n}')"
printf 'of which its own process (PSS): %.1f KiB; its shim (PSS): %.1f KiB\n' "$(awk -v o=$own -v n=$n 'BEGIN{print o/n}')" "$(awk -v o=$shim -v n=$n 'BEGIN{print o/n}')"
printf 'beyond its own process: %.1f KiB\n' "$(awk -v a=$before -v b=$after -v o=$own -v n=$n 'BEGIN{print (a-b-o)/n}')"
# Where it goes (host-wide counters too, so only a guide): KiB per container.
i=0; for f in $fields; do
        printf '  %-13s %7.1f KiB\n' "$f" "$(awk -v a=${parts_after[$i]} -v b=${parts_before[$i]} -v n=$n 'BEGIN{print (a-b)/n}')"
        i=$((i + 1))
done
# Steadier on a shared host: what can only be ours, the unreclaimable kernel side (slab, stacks,
# page tables, percpu, tmpfs) plus the PSS of our processes, rather than MemAvailable.
kern=0; for i in 1 2 4 5 6; do kern=$((kern + parts_after[i] - parts_before[i])); done
printf 'host memory per container, unreclaimable kernel memory + PSS of shim and process: %.1f KiB = %.2f MiB (target at most 0.6 MiB)\n' \
        "$(awk -v k=$kern -v o=$own -v s=$shim -v n=$n 'BEGIN{print (k+o+s)/n}')" \
        "$(awk -v k=$kern -v o=$own -v s=$shim -v n=$n 'BEGIN{print (k+o+s)/n/1024}')"
# Beside COUNT-N: N of the idle ones make room (a bridge takes at most 1024 ports).
nl rm -f $(nl ps -q | head -n "$cpu_n") >/dev/null
cpu_full=$(cpu_per_start)
raw_full=$(raw_cpu_per_start)
nl rm -f $(nl ps -q) >/dev/null
sleep 2
gone=$(avail)
printf 'host memory per container, released by rm -f (MemAvailable gain): %.1f KiB\n' "$(awk -v a=$gone -v b=$after -v n=$n 'BEGIN{print (a-b)/n}')"
printf 'host memory per container, mean of both: %.1f KiB = %.2f MiB (target at most 0.6 MiB)\n' \
        "$(awk -v a=$before -v b=$after -v g=$gone -v n=$n 'BEGIN{print (a-b+g-b)/2/n}')" \
        "$(awk -v a=$before -v b=$after -v g=$gone -v n=$n 'BEGIN{print (a-b+g-b)/2/n/1024}')"
echo "median start, batch $((COUNT / batch)) vs batch 1: $(ratio "$med" "$first")x (target at most 1.2x)"
printf 'CPU per run -d (perf, %d starts): beside none %s ms, beside %d %s ms: %sx (target at most 1.2x)\n' \
        "$cpu_n" "$cpu_none" "$((n - cpu_n))" "$cpu_full" "$(ratio "$cpu_full" "$cpu_none")"
printf 'what grows: netlab +%s ms per start; the same kernel work through iproute2 (netns, veth on the bridge, fresh sysfs) %s ms beside none, %s ms beside %d: +%s ms\n' \
        "$(awk -v a=$cpu_full -v b=$cpu_none 'BEGIN{printf "%.2f", a-b}')" "$raw_none" "$raw_full" \
        "$((n - cpu_n))" "$(awk -v a=$raw_full -v b=$raw_none 'BEGIN{printf "%.2f", a-b}')"
