# netlab-dns test helpers (sourced, bash) over lib.sh, which puts the test in its own sandbox.
. "$(dirname "$0")/lib.sh"
require dig

# dns_setup [BUILD_DIR]: the daemon, the driver that writes its records, a fake upstream.
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
        ROOT=$NETLAB_ROOT # on the sandbox's tmpfs, gone with it
        mkdir -p "$ROOT"
}

dns_done() {
        # the daemon's stderr: a sanitizer build reports memory errors there
        if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$ROOT/dns/netlab-dns.log" \
                2>/dev/null; then
                not_ok "daemon log has no sanitizer report" "$(cat "$ROOT/dns/netlab-dns.log")"
        else
                ok "daemon log has no sanitizer report"
        fi
        finish
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
