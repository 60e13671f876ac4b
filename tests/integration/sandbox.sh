#!/usr/bin/env bash
# Run one integration test inside a throwaway sandbox: fresh network, mount and pid namespaces,
# and a tmpfs over /run holding the private state root (so even a mkdir leaves nothing on the
# host). When the test ends, containers it left are removed (their cgroups live in the host's
# hierarchy), then the pid namespace's init exits and the kernel kills every process left in it
# (netlab-dns); the namespaces vanish with it.
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
rc=0
bash "$0" || rc=$?
# Cgroups are not namespaced: remove what a test left running the way a user would, so its
# cgroups do not outlive the sandbox.
ids=$("$NETLAB" ps -aq 2>/dev/null || true)
[ -z "$ids" ] || "$NETLAB" rm -f $ids >/dev/null 2>&1 || true
exit $rc
' "$test_script"
