#!/usr/bin/env bash
# netlab-dns against dnsmasq serving the same name from a hosts file, measured in the same run:
# queries per second, average and p99 latency (dnsperf), resident memory with 1000 containers
# registered, and how long after `netlab run -d` returns the name resolves.
# Usage: bench/dns.sh [BUILD_DIR]   (root; runs in its own sandbox; SECONDS_PER_RUN=10)
set -euo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
if [ -z "${NETLAB_BENCH_INSIDE:-}" ]; then
        build=$(realpath "${1:-build}")
        export NETLAB=$build/netlab/netlab DRIVER=$build/tests/tools/dnsctl_driver NETLAB_BENCH_INSIDE=1
        in_sandbox "$(realpath "$0")"
        exit
fi
secs=${SECONDS_PER_RUN:-10}
nl() { "$NETLAB" "$@"; }
for t in dnsperf dnsmasq; do command -v $t >/dev/null || { echo "needs $t (apt-get install dnsperf dnsmasq-base)"; exit 1; }; done
: >/run/netlab-bench/resolv.conf && mount --bind /run/netlab-bench/resolv.conf /etc/resolv.conf

nl network create --subnet 10.89.0.0/16 benchnet >/dev/null
nl run -d --name target --net benchnet busybox sleep 1d >/dev/null
ip=$(nl inspect -f '{{(index .NetworkSettings.Networks "benchnet").IPAddress}}' target)
case "$ip" in 10.89.*) ;; *) echo "cannot read the target address: $ip"; exit 1 ;; esac
echo "target A" >/run/netlab-bench/queries
echo "$ip target" >/run/netlab-bench/hosts
ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true
dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts=/run/netlab-bench/hosts \
        --listen-address=127.0.0.2 --bind-interfaces --port=53 --cache-size=1000 \
        --local-ttl=600 >/dev/null 2>&1 &
sleep 0.5

qps() { # SERVER: throughput with dnsperf's default 100 queries in flight
        dnsperf -s "$1" -d /run/netlab-bench/queries -l "$secs" -c 1 2>/dev/null |
                awk '/Queries per second/{printf "%.0f\n", $4}'
}
latency() { # SERVER: one query in flight, so the figures are the server's own latency
        dnsperf -s "$1" -d /run/netlab-bench/queries -l "$secs" -c 1 -q 1 -v 2>/dev/null |
                awk '/^> NOERROR/{print $NF}' | sort -n |
                awk '{lat[NR]=$1; s+=$1} END {printf "%.3f %.3f\n", NR?1000*s/NR:0, NR?1000*lat[int(NR*0.99)]:0}'
}
q_nl=$(qps 10.89.0.1); q_ref=$(qps 127.0.0.2)
read -r avg_nl p99_nl < <(latency 10.89.0.1)
read -r avg_ref p99_ref < <(latency 127.0.0.2)

# Memory with 1000 containers registered (through the same control API the CLI uses).
for i in $(seq 1 1000); do
        "$DRIVER" "$NETLAB_ROOT" put-container "$(printf '%064x' $i)" "c$i" "benchnet:10.89.$((i / 250 + 10)).$((i % 250 + 1))" >/dev/null
done
rss=$(awk '/VmRSS/{print $2}' /proc/"$(pgrep -f 'netlab-dns --root')"/status)

# Propagation: from `run -d` returning to the name resolving. dig itself takes a while to start,
# so its time for a name that already exists is the baseline subtracted from each measurement.
base_dig=$(REPS=10 median_ms dig +short +time=1 +tries=1 @10.89.0.1 target)
prop=(); tries_total=0
for i in $(seq 1 10); do
        nl run -d --name "p$i" --net benchnet busybox sleep 1d >/dev/null
        t0=$(now_ns); tries=0
        until tries=$((tries + 1)); [ -n "$(dig +short +time=1 +tries=1 @10.89.0.1 "p$i")" ]; do :; done
        prop+=($(( ($(now_ns) - t0) / 1000 ))); tries_total=$((tries_total + tries))
done
prop_ms=$(printf '%s\n' "${prop[@]}" | sort -n | awk -v b="$base_dig" '{a[NR]=$1} END {v=a[int((NR+1)/2)]/1000-b; printf "%.3f", v<0?0:v}')

printf '%-34s %12s %12s %8s\n' "dnsperf, ${secs}s, one name" "netlab-dns" "dnsmasq" "ratio"
printf '%-34s %12s %12s %8s\n' "queries per second" "$q_nl" "$q_ref" "$(ratio "$q_nl" "$q_ref")"
printf '%-34s %12s %12s\n' "average latency ms (1 in flight)" "$avg_nl" "$avg_ref"
printf '%-34s %12s %12s\n' "p99 latency ms (1 in flight)" "$p99_nl" "$p99_ref"
echo "resident memory with 1000 containers registered: ${rss} KiB (target under 4096)"
echo "propagation (run -d returns -> name resolves, median of 10, minus dig's own ${base_dig} ms): ${prop_ms} ms (target under 5); digs needed: $tries_total for 10 names"
echo "targets: at least 0.80 of dnsmasq's queries per second, p99 under 1 ms"
