#!/usr/bin/env bash
# The demo: containers on each networking mode, shown from inside. Runs in its own sandbox
# (fresh network + mount + pid namespaces) so the machine's network is untouched.
set -euo pipefail
netlab=$(realpath "${1:-build/netlab/netlab}")
exec unshare --net --mount --pid --fork --mount-proc --propagation private bash -c '
set -euo pipefail
nl=$0
mount -t tmpfs demo /run && mkdir -p /run/netlab-demo
export NETLAB_ROOT=/run/netlab-demo/root
ip link set lo up
say() { printf "\n\033[1m== %s\033[0m\n\$ %s\n" "$1" "$2"; }
say "none: a container with only a loopback interface" "netlab run --rm --network none busybox ip addr"
$nl run --rm --network none busybox ip addr
say "host: the container shares the host network namespace" "netlab run --rm --network host busybox ip link"
$nl run --rm --network host busybox ip link
say "a detached container, then ps and exec" "netlab run -d --name web --network none busybox httpd -f -p 80"
$nl run -d --name web --network none busybox httpd -f -p 80
$nl ps
$nl exec web sh -c "echo hello > /tmp/index.html; netstat -ltn"
$nl rm -f web >/dev/null
' "$netlab"
