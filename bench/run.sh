#!/usr/bin/env bash
# Container start cost: `netlab run --rm` against the raw namespaces it sets up, measured in the
# same run; 100 published ports against one; with BASE_REF=<git ref>, also against netlab built
# from that ref (before/after).
# Usage: [BASE_REF=REF] bench/run.sh [path/to/netlab]   (root; runs in its own sandbox)
set -euo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
if [ -z "${NETLAB_BENCH_INSIDE:-}" ]; then
        export NETLAB=$(realpath "${1:-build/netlab/netlab}") NETLAB_BENCH_INSIDE=1
        if [ -n "${BASE_REF:-}" ]; then
                export NETLAB_BASE=$(build_ref "$BASE_REF")/netlab/netlab
        fi
        in_sandbox "$(realpath "$0")"
        exit
fi
nl() { "$NETLAB" "$@"; }
nl run --rm --network none busybox true   # builds the busybox image once
nl network create --subnet 10.89.0.0/16 labnet >/dev/null
nl run --rm --network labnet busybox true

# Baseline for --network none: the same five namespaces, running true.
base_none=$(median_ms unshare --pid --mount --uts --ipc --net --fork true)
run_none=$(median_ms nl run --rm --network none busybox true)

# Baseline for a bridge network: namespaces + a veth on the bridge + an address + a route.
br=$(nl network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' labnet)
raw_net() {
        ip netns add benchns
        ip link add vbench type veth peer name eth0 netns benchns
        ip link set vbench master "$br" up
        ip -n benchns addr add 10.89.200.2/16 dev eth0
        ip -n benchns link set eth0 up
        ip -n benchns route add default via 10.89.0.1
        ip netns exec benchns unshare --pid --mount --uts --ipc --fork true
        ip netns del benchns
}
base_net=$(median_ms raw_net)
run_net=$(median_ms nl run --rm --network labnet busybox true)

# Publishing: 100 `-p` mappings against one, on the same network (issue 11: at most 1.5x). The
# figure is the median of each pair's ratio over PORT_REPS pairs, with its quartiles: a median of
# each side alone moved with a noisy 1-port baseline (1.40-2.23x between runs).
p100=(); for i in $(seq 1 100); do p100+=(-p "$((30000 + i)):80"); done
port_reps=${PORT_REPS:-60}
read -r run_p100 run_p1 r_p q1_p q3_p < <(REPS=$port_reps paired_ratio \
        "nl run --rm --network labnet ${p100[*]} busybox true" "nl run --rm --network labnet -p 30000:80 busybox true")

# Before/after: the same run on netlab built from BASE_REF, in a state root of its own.
if [ -n "${NETLAB_BASE:-}" ]; then
        nlb() { NETLAB_ROOT=/run/netlab-bench/base "$NETLAB_BASE" "$@"; }
        nlb run --rm --network none busybox true
        nlb network create --subnet 10.90.0.0/16 basenet >/dev/null
        nlb run --rm --network basenet busybox true
        # Interleaved with this build's runs, so a busy machine weighs on both alike.
        read -r after_none before_none < <(paired_ms "nl run --rm --network none busybox true" \
                "nlb run --rm --network none busybox true")
        read -r after_net before_net < <(paired_ms "nl run --rm --network labnet busybox true" \
                "nlb run --rm --network basenet busybox true")
        read -r before_p100 before_p1 r_pb q1_pb q3_pb < <(REPS=$port_reps paired_ratio \
                "nlb run --rm --network basenet ${p100[*]} busybox true" "nlb run --rm --network basenet -p 30000:80 busybox true")
fi

printf '%-50s %10s %10s %8s\n' "benchmark (median of ${REPS:-30})" "netlab ms" "base ms" "ratio"
printf '%-50s %10s %10s %8s\n' "run --rm --network none busybox true" "$run_none" "$base_none" "$(ratio "$run_none" "$base_none")"
printf '%-50s %10s %10s %8s\n' "run --rm --network labnet busybox true" "$run_net" "$base_net" "$(ratio "$run_net" "$base_net")"
printf '%-50s %10s %10s %8s  (pairs: %s, quartiles %s-%s)\n' "run --rm on labnet, 100 -p vs 1 -p" "$run_p100" "$run_p1" "$r_p" "$port_reps" "$q1_p" "$q3_p"
if [ -n "${NETLAB_BASE:-}" ]; then
        printf '%-50s %10s %10s %8s\n' "before/after: run --rm --network none ($BASE_REF)" "$after_none" "$before_none" "$(ratio "$after_none" "$before_none")"
        printf '%-50s %10s %10s %8s\n' "before/after: run --rm on a user network ($BASE_REF)" "$after_net" "$before_net" "$(ratio "$after_net" "$before_net")"
        printf '%-50s %10s %10s %8s  (pairs: %s, quartiles %s-%s)\n' "before: 100 -p vs 1 -p ($BASE_REF)" "$before_p100" "$before_p1" "$r_pb" "$port_reps" "$q1_pb" "$q3_pb"
fi
echo "targets: labnet median under 10 ms and within 3x of the raw baseline; 100 -p at most 1.5x 1 -p;"
echo "         after/before at most 1.2x"
