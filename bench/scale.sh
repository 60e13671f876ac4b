#!/usr/bin/env bash
# Scale: 1000 containers started detached on one network, in batches of 100. Prints the time of
# each batch (the 10th should be no slower than 1.5x the first) and the host memory each idle
# container costs beyond its own process (target under 1 MiB).
# Usage: bench/scale.sh [path/to/netlab] [COUNT]   (root; runs in its own sandbox)
set -euo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
if [ -z "${NETLAB_BENCH_INSIDE:-}" ]; then
        export NETLAB=$(realpath "${1:-build/netlab/netlab}") COUNT=${2:-1000} NETLAB_BENCH_INSIDE=1
        in_sandbox "$(realpath "$0")"
        exit
fi
nl() { "$NETLAB" "$@"; }
nl network create --subnet 10.96.0.0/16 scalenet >/dev/null
nl run --rm --net scalenet busybox true
avail() { awk '/MemAvailable/{print $2}' /proc/meminfo; }
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
before=$(avail)
batch=${BATCH:-100}; first=0
# The kernel's own cost of a network namespace also grows with how many exist: measure it beside.
raw_ns() { unshare --net --pid --fork true; }
printf '%-8s %10s %9s %22s %9s\n' "batch" "seconds" "vs first" "raw netns ms (median)" "vs first"
for ((b = 0; b < COUNT / batch; b++)); do
        t0=$(now_ns)
        for ((i = 0; i < batch; i++)); do nl run -d --net scalenet busybox sleep 1d >/dev/null; done
        t=$(( ($(now_ns) - t0) / 1000000 ))
        raw=$(REPS=10 median_ms raw_ns)
        [ $b -eq 0 ] && first=$t && raw_first=$raw
        printf '%-8s %10.3f %9s %22s %9s\n' "$((b + 1))" "$(awk -v t=$t 'BEGIN{print t/1000}')" "$(ratio "$t" "$first")" "$raw" "$(ratio "$raw" "$raw_first")"
done
sleep 2
after=$(avail)
n=$(nl ps -q | wc -l)
# What the containers' own processes use (busybox sleep), to subtract.
own=$(for p in $(pgrep -x sleep); do awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup; done | awk '{s+=$1} END {print s+0}')
shim=$(for p in $(pgrep -x netlab-shim); do awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup; done | awk '{s+=$1} END {print s+0}')
printf 'containers running: %d\n' "$n"
printf 'host memory per container, total (MemAvailable drop): %.1f KiB\n' "$(awk -v a=$before -v b=$after -v n=$n 'BEGIN{print (a-b)/n}')"
printf 'of which its own process (PSS): %.1f KiB; its shim (PSS): %.1f KiB\n' "$(awk -v o=$own -v n=$n 'BEGIN{print o/n}')" "$(awk -v o=$shim -v n=$n 'BEGIN{print o/n}')"
printf 'beyond its own process: %.1f KiB (target under 1024)\n' "$(awk -v a=$before -v b=$after -v o=$own -v n=$n 'BEGIN{print (a-b-o)/n}')"
