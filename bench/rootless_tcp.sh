#!/usr/bin/env bash
# Bulk TCP through a rootless published port (issue 12): iperf3 from the host's 127.0.0.1 through
# netlab's port forwarder (tests/tools/portfwd_driver as uid 4242, the outer half in the sandbox's
# namespace, iperf3 -s in the lab host) against iperf3 over the same loopback without a forwarder,
# and through rootless podman's rootlessport (slirp4netns port_handler=rootlesskit) in the same
# run when podman can run here (when it cannot, the output says why), and through pasta's own
# port forwarder, which podman 5 uses rootless, for reference.
# Usage: bench/rootless_tcp.sh [BUILD_DIR]   (root; runs in its own sandbox; SECONDS_PER_RUN=10)
set -uo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
if [ -z "${NETLAB_BENCH_INSIDE:-}" ]; then
        build=$(realpath "${1:-build}")
        export DRIVER=$build/tests/tools/portfwd_driver NETLAB_BENCH_INSIDE=1
        in_sandbox "$(realpath "$0")"
        exit
fi
secs=${SECONDS_PER_RUN:-10}
U=4242
command -v iperf3 >/dev/null || { echo "needs iperf3"; exit 1; }
as_user() { setpriv --reuid $U --regid $U --clear-groups env HOME=/run/bench-home \
        XDG_RUNTIME_DIR=/run/bench-xdg "$@"; }
mkdir -p /run/bench-home /run/bench-xdg && chown $U:$U /run/bench-home /run/bench-xdg
chmod 700 /run/bench-xdg
cp "$DRIVER" /run/portfwd_driver && chmod 755 /run/portfwd_driver
# slirp4netns and pasta open /dev/net/tun as the user: a 0666 node, private to the sandbox
mknod -m 666 /run/tun c 10 200 && mount --bind /run/tun /dev/net/tun

gbps() { iperf3 -c 127.0.0.1 -p "$1" -t "$secs" -J 2>/dev/null |
        awk -F: '/"bits_per_second"/{v=$2} END {gsub(/[ ,]/,"",v); printf "%.2f\n", v/1e9}'; }

# direct: iperf3 server on the sandbox's own loopback
iperf3 -s -p 5201 -D && sleep 0.5
direct=$(gbps 5201)

# netlab's forwarder: 5202 on the host -> 127.0.0.1:5201 in the lab host
coproc DRV { as_user /run/portfwd_driver --userns; }
read -r -t 10 _ inner <&"${DRV[0]}"
nsenter -t "$inner" -n iperf3 -s -p 5201 -D && sleep 0.5
echo "add tcp - 5202 127.0.0.1 5201" >&"${DRV[1]}"
read -r -t 10 reply <&"${DRV[0]}"
[ "$reply" = ok ] || echo "forwarder: $reply"
netlab=$(gbps 5202)
eval "exec ${DRV[1]}>&-"

# pasta's own port forwarder (what podman 5 uses rootless): a second lab host, iperf3 in it
pasta_bw=''
if command -v pasta >/dev/null; then
        # pasta wants a host interface with a default route to copy: a veth pair inside the sandbox
        ip link add bx0 type veth peer name bx1
        ip addr add 10.78.0.1/24 dev bx0
        ip link set bx0 up && ip link set bx1 up
        ip route add default via 10.78.0.2
        as_user unshare -Urn sh -c 'ip link set lo up; exec iperf3 -s -p 5201' >/dev/null 2>&1 &
        sleep 0.5
        lab2=$(pgrep -n -x iperf3)
        as_user pasta --quiet --config-net -t 5204:5201 -u none -T none -U none \
                --netns /proc/$lab2/ns/net --userns /proc/$lab2/ns/user >/dev/null 2>&1 && sleep 0.5
        pasta_bw=$(gbps 5204)
fi

# rootless podman: a rootfs of iperf3 and its libraries (no image pull: nothing leaves the sandbox)
podman_bw='' why=''
if ! command -v podman >/dev/null; then
        why="podman is not installed"
else
        rootfs=/run/bench-home/rootfs
        mkdir -p "$rootfs"/{proc,sys,dev,tmp,etc}
        for f in $(command -v iperf3) $(ldd "$(command -v iperf3)" | grep -o '/[^ ]*'); do
                mkdir -p "$rootfs$(dirname "$f")" && cp -L "$f" "$rootfs$f"
        done
        chown -R $U:$U /run/bench-home
        out=$(as_user timeout 60 podman $(podman_opts) run -d --rm --name bench-iperf \
                --network slirp4netns:port_handler=rootlesskit -p 5203:5201 \
                --rootfs "$rootfs" /usr/bin/iperf3 -s -p 5201 2>&1) || why="podman run failed: $(tail -1 <<<"$out")"
        if [ -z "$why" ]; then
                sleep 2
                podman_bw=$(gbps 5203)
                as_user timeout 30 podman rm -f bench-iperf >/dev/null 2>&1
                [ "$podman_bw" != "0.00" ] || why="iperf3 through podman's port got nothing"
        fi
fi

printf '%-52s %10s\n' "bulk TCP from 127.0.0.1, iperf3 ${secs}s" "Gbit/s"
printf '%-52s %10s\n' "direct (loopback, no forwarder)" "$direct"
printf '%-52s %10s   ratio to direct %s\n' "netlab rootless port forwarder" "$netlab" "$(ratio "$netlab" "$direct")"
[ -z "$pasta_bw" ] || printf '%-52s %10s   ratio to direct %s\n' "pasta's port forwarder (-t), for reference" "$pasta_bw" "$(ratio "$pasta_bw" "$direct")"
if [ -z "$why" ]; then
        printf '%-52s %10s   ratio to direct %s\n' "rootless podman (rootlessport)" "$podman_bw" "$(ratio "$podman_bw" "$direct")"
        printf '%-52s %10s\n' "netlab / podman" "$(ratio "$netlab" "$podman_bw")"
else
        echo "rootless podman: not measured: $why"
fi
echo "target: netlab's forwarder at least as fast as rootless podman's rootlessport"
