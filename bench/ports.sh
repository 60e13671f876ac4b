#!/usr/bin/env bash
# Published ports against the container's own address, in the same run: iperf3 throughput
# (target ratio >= 0.9), short TCP connections per second with wrk against busybox httpd, which
# closes every connection (target ratio >= 0.8), and the time to publish the 1000th port against
# the 1st (target <= 1.5x).
# Usage: bench/ports.sh [BUILD_DIR]   (root; runs in its own sandbox; SECONDS_PER_RUN=10)
set -euo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
if [ -z "${NETLAB_BENCH_INSIDE:-}" ]; then
        build=$(realpath "${1:-build}")
        export NETLAB=$build/netlab/netlab FW=$build/tests/tools/fw_driver NETLAB_BENCH_INSIDE=1
        in_sandbox "$(realpath "$0")"
        exit
fi
secs=${SECONDS_PER_RUN:-10}
nl() { "$NETLAB" "$@"; }
for t in iperf3 wrk; do command -v $t >/dev/null || { echo "needs $t"; exit 1; }; done
ip addr add 192.0.2.1/32 dev lo
nl network create --subnet 10.89.0.0/24 benchnet >/dev/null
nl run -d --name iperf --net benchnet -p 5201:5201 host iperf3 -s >/dev/null
mkdir -p /run/www && echo x >/run/www/index.html
nl run -d --name web --net benchnet -v /run/www:/www -p 8080:80 busybox httpd -f -p 80 -h /www >/dev/null
sleep 1
ctr=10.89.0.2; web=10.89.0.3
gbps() { iperf3 -c "$1" -p "$2" -t "$secs" -J | awk -F: '/"bits_per_second"/{v=$2} END {gsub(/[ ,]/,"",v); printf "%.2f\n", v/1e9}'; }
direct_bw=$(gbps $ctr 5201); pub_bw=$(gbps 192.0.2.1 5201)
cps() { wrk -t1 -c8 -d"${secs}s" "http://$1/" 2>/dev/null | awk '/Requests\/sec/{printf "%.0f\n", $2}'; }
direct_cps=$(cps $web:80); pub_cps=$(cps 192.0.2.1:8080)

# Publish 1000 ports one change at a time (the same netlink batches the CLI sends).
times=()
for i in $(seq 1 1000); do
        t0=$(now_ns); "$FW" ports-add 10.89.0.9 "$((20000 + i)):80" >/dev/null; times+=($(( ($(now_ns) - t0) / 1000 )))
done
first=$(printf '%s\n' "${times[@]:0:10}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1000}')
last=$(printf '%s\n' "${times[@]:990:10}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1000}')

printf '%-44s %12s %12s %8s\n' "through a published port vs direct" "published" "direct" "ratio"
printf '%-44s %12s %12s %8s\n' "iperf3 throughput, Gbit/s (${secs}s)" "$pub_bw" "$direct_bw" "$(ratio "$pub_bw" "$direct_bw")"
printf '%-44s %12s %12s %8s\n' "short TCP connections per second (wrk)" "$pub_cps" "$direct_cps" "$(ratio "$pub_cps" "$direct_cps")"
printf '%-44s %12s %12s %8s\n' "publish one port, ms (1000th vs 1st, median of 10)" "$last" "$first" "$(ratio "$last" "$first")"
echo "targets: throughput ratio >= 0.9, connections ratio >= 0.8, 1000th publish <= 1.5x the 1st"
