#!/usr/bin/env bash
# Rootless mode (issue 12), side by side in one run: `run --rm` on a user network rootless vs root
# (target: rootless median <= 1.5x root's) and vs rootless `podman run --rm` when podman can run
# here (else the reason it gives); bulk TCP through a rootless published port vs root mode's
# published port; host memory of one idle student lab (keeper + egress stack + netlab-dns + 10 idle
# containers, PSS of the keeper's process tree). Then bench/rootless_tcp.sh for the forwarder alone vs pasta's own and podman's.
# Usage: bench/rootless.sh [BUILD_DIR]   (root; runs in its own sandbox; REPS=15 SECONDS_PER_RUN=10)
set -uo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
if [ -z "${NETLAB_BENCH_INSIDE:-}" ]; then
        build=$(realpath "${1:-build}")
        export NETLAB=$build/netlab/netlab NETLAB_BENCH_INSIDE=1
        in_sandbox "$(realpath "$0")"
        rc=$?
        echo
        NETLAB_BENCH_INSIDE= "$here/rootless_tcp.sh" "$build"
        exit $rc
fi
REPS=${REPS:-15}
secs=${SECONDS_PER_RUN:-10}
U=4242
command -v iperf3 >/dev/null || { echo "needs iperf3"; exit 1; }
mkdir -p /run/bench-home /run/bench-xdg && chown $U:$U /run/bench-home /run/bench-xdg
chmod 700 /run/bench-xdg
# the user-mode stack opens /dev/net/tun as the user: a 0666 node, private to the sandbox
mknod -m 666 /run/tun c 10 200 && mount --bind /run/tun /dev/net/tun
# pasta copies a host interface with a default route: a veth pair inside the sandbox
ip link add bx0 type veth peer name bx1
ip addr add 10.78.0.1/24 dev bx0
ip link set bx0 up && ip link set bx1 up
ip route add default via 10.78.0.2
u() { setpriv --reuid $U --regid $U --clear-groups env -i PATH="$PATH" HOME=/run/bench-home \
        XDG_RUNTIME_DIR=/run/bench-xdg "$NETLAB" "$@"; }
nl() { "$NETLAB" "$@"; }

# --- run --rm on a user network ----------------------------------------------------------------
u network create bnet >/dev/null 2>&1
nl network create bnet >/dev/null
u run --rm --net bnet busybox true >/dev/null 2>&1 # the lab host and netlab-dns are up
nl run --rm --net bnet busybox true >/dev/null
read -r rootless root < <(paired_ms "u run --rm --net bnet busybox true" \
        "nl run --rm --net bnet busybox true")
printf '%-52s %10s\n' "run --rm --net USERNET busybox true (median of $REPS)" "ms"
printf '%-52s %10s\n' "root mode" "$root"
printf '%-52s %10s   ratio to root %s (target <= 1.50)\n' "rootless (uid $U, lab host running)" \
        "$rootless" "$(ratio "$rootless" "$root")"

# rootless podman on the same busybox binary (no image pull: nothing leaves the sandbox)
rootfs=/run/bench-home/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc}
cp "$(command -v busybox)" "$rootfs/bin/busybox" && ln -sf busybox "$rootfs/bin/true"
chown -R $U:$U /run/bench-home
if ! command -v podman >/dev/null; then
        echo "rootless podman run --rm: not measured: podman is not installed"
elif out=$(setpriv --reuid $U --regid $U --clear-groups env HOME=/run/bench-home \
        XDG_RUNTIME_DIR=/run/bench-xdg timeout 60 podman $(podman_opts) run --rm \
        --network none --rootfs "$rootfs" /bin/true 2>&1); then
        pod=$(median_ms setpriv --reuid $U --regid $U --clear-groups env HOME=/run/bench-home \
                XDG_RUNTIME_DIR=/run/bench-xdg podman $(podman_opts) run --rm --network none \
                --rootfs "$rootfs" /bin/true)
        printf '%-52s %10s   netlab rootless / podman %s\n' "rootless podman run --rm (--network none)" \
                "$pod" "$(ratio "$rootless" "$pod")"
else
        echo "rootless podman run --rm: not measured: podman says: $(tail -1 <<<"$out")"
fi

# --- bulk TCP through a published port -----------------------------------------------------------
gbps() { iperf3 -c 127.0.0.1 -p "$1" -t "$secs" -J 2>/dev/null |
        awk -F: '/"bits_per_second"/{v=$2} END {gsub(/[ ,]/,"",v); printf "%.2f\n", v/1e9}'; }
u run -d --name iperf --net bnet -p 5301:5201 host iperf3 -s >/dev/null 2>&1
nl run -d --name iperf --net bnet -p 5302:5201 host iperf3 -s >/dev/null
sleep 1
rl_bw=$(gbps 5301)
root_bw=$(gbps 5302)
echo
printf '%-52s %10s\n' "bulk TCP from 127.0.0.1 to a published port, ${secs}s" "Gbit/s"
printf '%-52s %10s\n' "root mode (nftables DNAT)" "$root_bw"
printf '%-52s %10s   ratio to root %s\n' "rootless (keeper's port forwarder)" "$rl_bw" \
        "$(ratio "$rl_bw" "$root_bw")"
u rm -f iperf >/dev/null 2>&1
nl rm -f iperf >/dev/null

# --- memory of one idle student lab ---------------------------------------------------------
u lab down >/dev/null 2>&1
u network create bnet >/dev/null 2>&1
for i in $(seq 10); do u run -d --net bnet --name idle$i busybox sleep 100000 >/dev/null 2>&1; done
sleep 2
# the lab: the keeper's outer half and everything under it (not podman's pause process)
outer=$(awk '{print $1}' /run/bench-xdg/netlab/keeper.pid)
lab_pids() {
        ps -eo pid=,ppid= | awk -v root="$outer" '{parent[$1] = $2}
                END {for (p in parent) for (q = p; q; q = parent[q]) if (q == root) {print p; break}}'
}
echo
echo "one idle student lab: keeper, egress stack, netlab-dns, 10 idle containers on a user network"
for pid in $(lab_pids); do
        pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null)
        echo "$(cat "/proc/$pid/comm" 2>/dev/null) ${pss:-0}"
done | awk '{kb[$1] += $2; n[$1]++; t += $2}
        END {for (c in kb) printf "  %-24s %3d process(es) %8d kB PSS\n", c, n[c], kb[c];
             printf "  %-24s %26d kB PSS (%.1f MiB)\n", "total", t, t / 1024}'
u lab down >/dev/null 2>&1
