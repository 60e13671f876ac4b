#!/usr/bin/env bash
# Run one integration test inside a throwaway sandbox: fresh network, mount and pid namespaces,
# and a tmpfs over /run holding the private state root (so even a mkdir leaves nothing on the
# host). When the test ends, the pid namespace's init exits and the kernel kills every process
# left in it (shims, containers, netlab-dns); the namespaces vanish with it.
# Usage: sandbox.sh TEST_SCRIPT   (NETLAB must point at the netlab binary)
set -eu
test_script=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
: "${NETLAB:?set NETLAB to the netlab binary}"
export NETLAB=$(realpath "$NETLAB")
export NETLAB_TESTLIB="$here/lib.sh"
exec unshare --net --mount --pid --fork --mount-proc --propagation private \
        bash -c '
set -e
mount -t tmpfs -o mode=0755 netlab-sandbox /run
mkdir -p /run/netlab-test /run/netns
ip link set lo up
export NETLAB_ROOT=/run/netlab-test/root
exec bash "$0"
' "$test_script"
