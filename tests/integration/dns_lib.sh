# Shared helpers for the netlab-dns integration tests (sourced, bash).
# Each test re-executes itself in a throwaway sandbox: fresh network, mount and PID namespaces,
# so every link, netns, daemon and mount vanishes when the test ends.

dns_sandbox() {
        if [ "$(id -u)" != 0 ] || ! command -v dig >/dev/null || ! command -v unshare >/dev/null; then
                echo "1..0 # SKIP needs root, dig and unshare"
                exit 0
        fi
        if [ -z "$NLAB_DNS_IN_SANDBOX" ]; then
                exec env NLAB_DNS_IN_SANDBOX=1 unshare --net --mount --pid --fork --mount-proc \
                        bash "$0" "$@"
        fi
}

dns_setup() {
        local here
        here=$(cd "$(dirname "$0")" && pwd)
        BUILD=${1:-${NETLAB_BUILD_DIR:-$here/../../build}}
        BUILD=$(cd "$BUILD" && pwd)
        export NETLAB_DNS_BIN=$BUILD/dns/netlab-dns
        DRIVER=$BUILD/tests/tools/dnsctl_driver
        FAKE=$BUILD/tests/tools/fake_upstream
        for f in "$NETLAB_DNS_BIN" "$DRIVER" "$FAKE"; do
                [ -x "$f" ] || { echo "Bail out! missing $f (build first)"; exit 1; }
        done
        ROOT=$(mktemp -d /tmp/netlab-dns-test.XXXXXX)
        trap 'rm -rf "$ROOT"' EXIT
        mount -t tmpfs tmpfs /run # private /run/netns for 'ip netns'
        mkdir -p /run/netns
        ip link set lo up
        TESTNUM=0
        FAILS=0
}

ok() {
        TESTNUM=$((TESTNUM + 1))
        echo "ok $TESTNUM - $1"
}

not_ok() {
        TESTNUM=$((TESTNUM + 1))
        FAILS=$((FAILS + 1))
        echo "not ok $TESTNUM - $1"
}

# expect DESCRIPTION WANT GOT
expect() {
        if [ "$2" = "$3" ]; then
                ok "$1"
        else
                not_ok "$1"
                echo "#   want: '$2'"
                echo "#   got:  '$3'"
        fi
}

dns_done() {
        # the daemon's stderr: a sanitizer build reports memory errors there
        if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$ROOT/dns/netlab-dns.log" \
                2>/dev/null; then
                not_ok "daemon log has no sanitizer report"
                sed 's/^/#   /' "$ROOT/dns/netlab-dns.log"
        else
                ok "daemon log has no sanitizer report"
        fi
        echo "1..$TESTNUM"
        [ "$FAILS" = 0 ]
}

# net NAME BRIDGE GATEWAY/PREFIX [internal]: a bridge with the gateway address, registered.
net() {
        ip link add "$2" type bridge
        ip addr add "$3" dev "$2"
        ip link set "$2" up
        "$DRIVER" "$ROOT" put-network "$1" "${3%/*}" ${4:-}
}

# ctr NS: a "container" network namespace.
ctr() {
        ip netns add "$1"
        ip -n "$1" link set lo up
}

# attach NS IFNAME BRIDGE ADDR/PREFIX
attach() {
        ip link add "v$1$2" type veth peer name "$2" netns "$1"
        ip link set "v$1$2" master "$3" up
        ip -n "$1" addr add "$4" dev "$2"
        ip -n "$1" link set "$2" up
}

# reg ID NAME ENDPOINT... (see dnsctl_driver)
reg() {
        "$DRIVER" "$ROOT" put-container "$@"
}

# q NS DIG-ARGS...: short answers on one line
q() {
        local ns=$1
        shift
        ip netns exec "$ns" dig +short +time=2 +tries=1 "$@" | tr '\n' ' ' | sed 's/ $//'
}

# status NS DIG-ARGS...: the rcode word
status() {
        local ns=$1
        shift
        ip netns exec "$ns" dig +time=2 +tries=1 "$@" |
                sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}

# cid N: a 64-hex container id whose 12-hex short id is c0ffee00000N
cid() {
        printf 'c0ffee%06d%052d' "$1" "$1"
}

daemon_pid() {
        cat "$ROOT/dns/netlab-dns.pid" 2>/dev/null
}
