# Helpers for integration tests: TAP output and small assertions. Sourced inside the sandbox.
set -u
tap_n=0
tap_failed=0
nl() { "$NETLAB" "$@"; }

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
        local desc=$1; shift
        if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc"; echo "$out" | sed 's/^/# /'; fi
}
# check_fails DESCRIPTION COMMAND...: passes when the command exits non-zero.
check_fails() {
        local desc=$1; shift
        if out=$("$@" 2>&1); then not_ok "$desc (unexpectedly succeeded)"; echo "$out" | sed 's/^/# /'; else ok "$desc"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
        if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "# expected: [$2]"; echo "#   actual: [$3]"; fi
}
# check_match DESCRIPTION REGEX ACTUAL
check_match() {
        if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1"; echo "# wanted /$2/ in:"; printf '%s\n' "$3" | sed 's/^/#   /'; fi
}
# check_status DESCRIPTION EXPECTED_CODE COMMAND...
check_status() {
        local desc=$1 want=$2; shift 2
        local got=0
        out=$("$@" 2>&1) || got=$?
        if [ "$got" = "$want" ]; then ok "$desc"; else not_ok "$desc (exit $got, wanted $want)"; echo "$out" | sed 's/^/# /'; fi
}
# wait_until SECONDS COMMAND...: poll until the command succeeds.
wait_until() {
        local limit=$1; shift
        local i=0
        while [ $i -lt $((limit * 10)) ]; do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.1; i=$((i + 1))
        done
        return 1
}
finish() {
        echo "1..$tap_n"
        [ "$tap_failed" -eq 0 ]
}

# make_external NAME HOST_ADDR EXT_ADDR: a test host in its own netns, joined to the sandbox
# ("the lab host") by a veth; HOST_ADDR/24 on the host end, EXT_ADDR/24 inside. It plays "the
# internet": it has no route to container subnets unless a test adds one.
make_external() {
        local name=$1 host=$2 ext=$3
        ip netns add "$name"
        ip link add "v$name" type veth peer name eth0 netns "$name"
        ip addr add "$host/24" dev "v$name"
        ip link set "v$name" up
        ip -n "$name" addr add "$ext/24" dev eth0
        ip -n "$name" link set eth0 up
        ip -n "$name" link set lo up
}
in_ext() { local name=$1; shift; ip netns exec "$name" "$@"; }
# tcp_ok FROM_CTR ADDR PORT: a TCP connection from a container (busybox nc has no -z).
tcp_ok() { nl exec "$1" sh -c "echo | nc -w 2 $2 $3" >/dev/null 2>&1; }
