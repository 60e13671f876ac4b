# The one library of the integration tests (sourced by every script, bash): a sandbox, TAP
# helpers, test hosts. Sourced outside a sandbox, it runs the calling script again inside a fresh
# one and exits with its status: new network, mount, pid, ipc and uts namespaces and a tmpfs over
# /run holding a private state root, so every link, netns, daemon and mount the test makes vanishes
# with it. Any script runs on its own as root, e.g.
#   NETLAB=build/netlab/netlab bash tests/integration/test_ports.sh
# A script may set SANDBOX_RUNS before sourcing (e.g. "BRNF=1 BRNF=0"): it then runs once per
# assignment, each in its own sandbox, reported as one TAP stream.
set -u
# Pages and checks show English narration: a caller's zh_* locale would make scenarios speak Chinese.
case "${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}" in zh*) export LC_ALL=C.UTF-8 ;; esac
NETLAB_TESTLIB=$(realpath "${BASH_SOURCE[0]}")
export NETLAB_TESTLIB

# sandbox_run SCRIPT ARGS...: one run of SCRIPT in a fresh sandbox. Cgroups are not namespaced,
# so containers the test left are removed the way a user would before the namespaces go; the
# end of the pid namespace then kills every process left (netlab-dns, test servers).
sandbox_run() {
        unshare --net --mount --pid --ipc --uts --fork --mount-proc --propagation private bash -c '
set -e
mount -t tmpfs -o mode=0755 netlab-sandbox /run
mkdir -p /run/netlab-test /run/netns
ip link set lo up
rc=0
bash "$@" || rc=$?
if [ -x "${NETLAB:-}" ]; then
        ids=$("$NETLAB" ps -aq 2>/dev/null || true)
        [ -z "$ids" ] || "$NETLAB" rm -f $ids >/dev/null 2>&1 || true
fi
exit $rc
' sandbox "$@"
}

# tap_concat: renumber the TAP of several runs into one stream with one plan at the end.
tap_concat() {
        awk '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n); print; next }
             /^1\.\.0 # SKIP/ { skip = $0; next } /^1\.\./ { next } { print }
             END { if (n == 0 && skip != "") print skip; else print "1.." n }'
}

sandbox_enter() { # ARGS...: the calling script's arguments
        local run rc=0
        if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
                echo "1..0 # SKIP needs root and unshare"
                exit 0
        fi
        # Traffic never leaves the sandbox: no proxy may take it elsewhere.
        unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
        export NLAB_SANDBOX=1 NETLAB_ROOT=/run/netlab-test/root
        [ -z "${NETLAB:-}" ] || NETLAB=$(realpath "$NETLAB")
        [ -z "${NETLAB:-}" ] || export NETLAB
        if [ -z "${SANDBOX_RUNS:-}" ]; then
                sandbox_run "$0" "$@"
                exit
        fi
        {
                for run in $SANDBOX_RUNS; do
                        (export "${run?}"; sandbox_run "$0" "$@") || rc=1
                done
                exit $rc
        } | tap_concat
        exit "${PIPESTATUS[0]}"
}
[ -n "${NLAB_SANDBOX:-}" ] || sandbox_enter "$@"

# ---- inside the sandbox -----------------------------------------------------------------------
tap_n=0
tap_failed=0
TAP_PREFIX=${TAP_PREFIX:-} # put before every description, e.g. the run's variant
nl() { "$NETLAB" "$@"; }

# require FILE|COMMAND...: skip the whole test when one is missing.
require() {
        local x
        for x in "$@"; do
                [ -x "$x" ] || command -v "$x" >/dev/null || { echo "1..0 # SKIP needs $x"; exit 0; }
        done
}

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $TAP_PREFIX$*"; }
# not_ok DESCRIPTION [DETAIL...]: each detail goes out as a comment line.
not_ok() {
        local d
        tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
        echo "not ok $tap_n - $TAP_PREFIX$1"; shift
        for d in "$@"; do printf '%s\n' "$d" | sed 's/^/# /'; done
        return 0
}

# check DESCRIPTION COMMAND...: passes when the command exits 0. Sets out to its output.
check() {
        local desc=$1; shift
        if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# check_fails DESCRIPTION COMMAND...: passes when the command exits non-zero.
check_fails() {
        local desc=$1; shift
        if out=$("$@" 2>&1); then not_ok "$desc (unexpectedly succeeded)" "$out"; else ok "$desc"; fi
}
# check_error DESCRIPTION TEXT COMMAND...: passes when the command fails and says TEXT.
check_error() {
        local desc=$1 text=$2; shift 2
        if out=$("$@" 2>&1); then not_ok "$desc (unexpectedly succeeded)" "$out"
        elif grep -qF -- "$text" <<<"$out"; then ok "$desc"
        else not_ok "$desc" "wanted: $text" "error was: $out"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
        if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: [$2]" "  actual: [$3]"; fi
}
# check_match DESCRIPTION REGEX ACTUAL
check_match() {
        if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1" "wanted /$2/ in:" "$3"; fi
}
# check_output DESCRIPTION EXPECTED COMMAND...: passes when the command prints exactly EXPECTED.
check_output() {
        local desc=$1 want=$2; shift 2
        out=$("$@" 2>&1)
        check_eq "$desc" "$want" "$out"
}
# check_status DESCRIPTION EXPECTED_CODE COMMAND...
check_status() {
        local desc=$1 want=$2; shift 2
        local got=0
        out=$("$@" 2>&1) || got=$?
        if [ "$got" = "$want" ]; then ok "$desc"; else not_ok "$desc (exit $got, wanted $want)" "$out"; fi
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
# Every FILE.lab in DIR run at once (each scenario is its own sandbox); one ok/not ok per file,
# named "PREFIX FILE", with the failing lines of a failed run. Outputs stay in WORK.
run_labs() { # PREFIX DIR WORK
        local prefix=$1 dir=$2 work=$3 f b pids=()
        for f in "$dir"/*.lab; do
                b=$(basename "$f" .lab)
                ( nl scenario run "$f" >"$work/$b.out" 2>&1; echo $? >"$work/$b.rc" ) &
                pids+=($!)
        done
        wait "${pids[@]}"
        for f in "$dir"/*.lab; do
                b=$(basename "$f" .lab)
                if [ "$(cat "$work/$b.rc")" = 0 ]; then ok "$prefix $b"; else
                        not_ok "$prefix $b (exit $(cat "$work/$b.rc"))"
                        grep -a -E -A3 '^\[FAIL\]|error' "$work/$b.out" | sed 's/^/# /'
                fi
        done
}

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
